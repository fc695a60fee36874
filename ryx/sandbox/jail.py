"""One sandboxed process: what it sees, where, and with which environment.

Inside: the system folders and the interpreter read-only; the private copy of the tree
read-write at a neutral path chosen afresh for every run (`/src/proj`, `/work/proj`, ...), with
the benchmark files read-only over it; the harness files read-only; an empty HOME and a
private /tmp (both size-capped tmpfs); no network, its own PID namespace, no capabilities, a
fresh hostname, and an environment that holds nothing of Ryx's. The loop, its database, the
user's checkout and `.git` are simply not there.

With the sandbox turned off (`--no-sandbox`) the same command runs directly in the copy with a
scrubbed environment: still a private copy, but no isolation at all.
"""

from __future__ import annotations

import os
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ryx.sandbox import bwrap
from ryx.sandbox.interpreter import describe
from ryx.sandbox.process import Launch

_PARENTS = ("src", "work", "build", "code", "project", "repo")
_USERS = ("dev", "user", "build", "ci", "runner", "app")
HOME_MB = 64
_SECRET_WORDS = ("TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "KEY", "AUTH", "PRIVATE")
_SECRET_PREFIXES = (
    "AWS_", "OPENAI_", "ANTHROPIC_", "GITHUB_", "GH_", "GITLAB_", "HF_", "HUGGING", "AZURE_",
    "GOOGLE_", "GCP_", "CLOUDSDK_", "TWINE_", "NPM_", "PYPI_", "DOCKER_", "COHERE_", "MISTRAL_",
    "GROQ_", "LANGCHAIN_", "LANGSMITH_", "PYTEST_", "GIT_", "RYX_", "OLLAMA_",
)
# PYTEST_DISABLE_PLUGIN_AUTOLOAD only removes code from the run: the user may keep it.
_ALLOWED = frozenset({"KEYTIMEOUT", "XAUTHORITY", "PYTEST_DISABLE_PLUGIN_AUTOLOAD"})


@dataclass(frozen=True)
class View:
    """What one run sees besides the system."""

    tree: Path  # the private copy on the host, read-write
    name: str  # the copy's folder name as the run sees it (the target's)
    python: str  # the interpreter, read-only
    readonly: tuple[str, ...] = ()  # paths relative to the tree, read-only over it
    files: tuple[Path, ...] = ()  # further host files or folders, read-only (the harness)
    env: Mapping[str, str] = field(default_factory=dict)
    tmp_mb: int = 1024
    memory_mb: int = 0  # address-space cap of the command (0: none)
    file_mb: int = 0  # largest file it may write (0: no cap)


@dataclass(frozen=True)
class Placed:
    """Where the parts of a View appear to the process."""

    root: str
    home: str
    files: Mapping[Path, str]

    def file(self, host: Path) -> str:
        return self.files[host]


class Sandbox:
    """Runs commands over a View: in bubblewrap, or directly when turned off."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled

    def check(self) -> None:
        """SandboxUnavailable (exit 3, names what to install) unless it can run here."""
        if self.enabled:
            bwrap.probe(bwrap.find_bwrap())

    def place(self, view: View) -> Placed:
        if not self.enabled:
            return Placed(str(view.tree), os.environ.get("HOME", ""), {f: str(f) for f in view.files})
        taken = [*describe(view.python).mounts, *(f"/{d}" for d in bwrap.SYSTEM_DIRS)]
        rng = random.SystemRandom()
        root = _free(taken, (f"/{p}/{_safe_name(view.name)}" for p in _shuffled(rng, _PARENTS)))
        home = _free([*taken, root], (f"/home/{u}" for u in _shuffled(rng, _USERS)))
        tools = _free([*taken, root, home], (f"/opt/{rng.getrandbits(40):010x}" for _ in range(8)))
        return Placed(root, home, _named_in(tools, view.files))

    def launch(self, view: View, placed: Placed, command: list[str]) -> Launch:
        """The command as it must be started (under its limits): in bwrap, or as it is."""
        command = _limited(view, command)
        if not self.enabled:
            env = {**scrubbed_env(), **view.env}
            return Launch(command, str(view.tree), env)
        env = _sandbox_env(view, placed)
        exe = bwrap.probe(bwrap.find_bwrap())
        return Launch(bwrap.argv(exe, _mounts(view, placed), env, placed.root, command), "/", {})


# argv: address-space cap, file-size cap (bytes, 0 = none), program, arguments...
_LIMITS = """\
import os, resource, sys
for limit, value in ((resource.RLIMIT_AS, int(sys.argv[1])), (resource.RLIMIT_FSIZE, int(sys.argv[2]))):
    if value > 0:
        resource.setrlimit(limit, (value, value))
os.execvp(sys.argv[3], sys.argv[3:])
"""


def _limited(view: View, command: list[str]) -> list[str]:
    """Start `command` through a tiny interpreter that sets its resource limits, then execs."""
    caps = (str(max(mb, 0) * 1024 * 1024) for mb in (view.memory_mb, view.file_mb))
    return [view.python, "-I", "-S", "-c", _LIMITS, *caps, *command]


def _named_in(folder: str, paths: tuple[Path, ...]) -> dict[Path, str]:
    """Each path under `folder` by its own name, numbered where two share one."""
    placed: dict[Path, str] = {}
    for n, path in enumerate(paths):
        name = path.name if path.name not in {p.rsplit("/", 1)[-1] for p in placed.values()} else f"{n}-{path.name}"
        placed[path] = f"{folder}/{name}"
    return placed


def _mounts(view: View, placed: Placed) -> list[bwrap.Mount]:
    """The private tmpfs first, so the binds after them stay visible even where they lie below
    /tmp (a virtual environment in /tmp, say); then the interpreter, the tree, what is
    read-only over the tree, and the harness files."""
    system = [f"/{d}" for d in bwrap.SYSTEM_DIRS]
    mounts = [bwrap.Mount("tmpfs", "", "/tmp", view.tmp_mb), bwrap.Mount("tmpfs", "", placed.home, HOME_MB)]
    mounts += [bwrap.Mount("ro", path, path) for path in describe(view.python).mounts
               if not any(path == s or path.startswith(s + "/") for s in system)]
    mounts.append(bwrap.Mount("rw", str(view.tree), placed.root))
    mounts += [bwrap.Mount("ro", str(view.tree / rel), f"{placed.root}/{rel}")
               for rel in view.readonly if (view.tree / rel).exists()]
    mounts += [bwrap.Mount("ro", str(host), inside) for host, inside in placed.files.items()]
    return mounts


def _sandbox_env(view: View, placed: Placed) -> dict[str, str]:
    user = placed.home.rsplit("/", 1)[-1]
    path = f"{describe(view.python).bin_dir}:/usr/local/bin:/usr/bin:/bin"
    return {"PATH": path, "HOME": placed.home, "USER": user, "LOGNAME": user, "LANG": "C.UTF-8",
            "TMPDIR": "/tmp", "PYTHONDONTWRITEBYTECODE": "1", **view.env}


def _free(taken: list[str], choices) -> str:
    """The first candidate path that neither holds nor sits inside a taken one."""
    for path in choices:
        if not any(_overlap(path, t) for t in taken):
            return path
    raise RuntimeError("no free path for the sandbox")  # unreachable with random names


def _overlap(a: str, b: str) -> bool:
    a, b = a.rstrip("/") + "/", b.rstrip("/") + "/"
    return a.startswith(b) or b.startswith(a)


def _shuffled(rng: random.SystemRandom, items: tuple[str, ...]) -> list[str]:
    out = list(items)
    rng.shuffle(out)
    return [*out, *(f"{item}{rng.getrandbits(24):06x}" for item in out)]


def _safe_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "", name).strip(".")
    return cleaned or "project"


def scrubbed_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The parent's environment without anything that looks like a credential (or that changes
    what pytest, git or Ryx load): for runs with the sandbox turned off."""
    env = {name: value for name, value in (os.environ if base is None else base).items()
           if name in _ALLOWED or not _looks_secret(name)}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _looks_secret(name: str) -> bool:
    upper = name.upper()
    return upper.startswith(_SECRET_PREFIXES) or any(w in upper for w in _SECRET_WORDS)
