"""What of the machine an interpreter needs inside the sandbox, and the module names it owns.

Asked of the interpreter itself once per process (`python -I`, so neither the environment nor
the current folder changes the answer). Its prefixes and site-packages are mounted read-only;
folders that only reach it through a `.pth` file (an editable install of a project in the
user's home, say) are not: the candidate's own copy answers those imports.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ryx.errors import EnvironmentMissing

_QUERY = """\
import json, os, site, sys, sysconfig
print(json.dumps({
    "executable": sys.executable,
    "prefixes": sorted({sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}),
    "path": [p for p in sys.path if p],
    "site": [*site.getsitepackages(), *[p for p in sysconfig.get_paths().values() if "-packages" in p]],
    "stdlib": sorted(sys.stdlib_module_names),
}))
"""
_INSTALLED_QUERY = """\
import importlib.metadata as md, json, sys
own = sys.argv[1]
print(json.dumps(sorted(name for name, dists in md.packages_distributions().items() if set(dists) != {own})))
"""
HARNESS_NAMES = frozenset({"pytest", "_pytest", "pluggy", "iniconfig", "packaging", "py"})


@dataclass(frozen=True)
class Interpreter:
    """A Python interpreter as the sandbox sees it."""

    executable: str
    mounts: tuple[str, ...]  # host folders to mount read-only at the same path
    site: tuple[str, ...]  # its site-packages folders, in sys.path order
    stdlib: frozenset[str]

    @property
    def bin_dir(self) -> str:
        return os.path.dirname(self.executable)


@lru_cache(maxsize=8)
def describe(python: str) -> Interpreter:
    """The interpreter at `python` (a path), asked once per process."""
    raw = json.loads(_ask(python, _QUERY))
    prefixes = [p for p in raw["prefixes"] if os.path.isdir(p)]
    site = tuple(p for p in dict.fromkeys(raw["site"]) if os.path.isdir(p))
    wanted = [*prefixes, *site, os.path.dirname(os.path.realpath(raw["executable"])),
              *(p for p in raw["path"] if os.path.exists(p) and _inside_any(p, prefixes))]
    return Interpreter(raw["executable"], _top_most(_with_real_paths(wanted)), site,
                       frozenset(raw["stdlib"]))


@lru_cache(maxsize=8)
def module_names(python: str, own: str = "") -> frozenset[str]:
    """Top-level names the interpreter imports from outside a project: its standard library,
    its installed distributions (but those only of the distribution `own`), the test harness."""
    installed = json.loads(_ask(python, _INSTALLED_QUERY, own))
    return describe(python).stdlib | frozenset(installed) | HARNESS_NAMES


def _ask(python: str, code: str, *args: str) -> str:
    try:
        proc = subprocess.run([python, "-I", "-c", code, *args], capture_output=True, text=True,
                              timeout=60, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise EnvironmentMissing(f"the benchmark's python {python} could not be started ({exc}); "
                                 "set benchmark.python in ryx.toml to a working interpreter.") from exc
    if proc.returncode != 0:
        raise EnvironmentMissing(f"the benchmark's python {python} failed to describe itself: "
                                 f"{proc.stderr.strip()[-500:]}")
    return proc.stdout


def _with_real_paths(paths: list[str]) -> list[str]:
    """Each path, and where it really is when a symlink leads elsewhere."""
    out: list[str] = []
    for path in paths:
        out.append(os.path.abspath(path))
        out.append(os.path.realpath(path))
    return out


def _top_most(paths: list[str]) -> tuple[str, ...]:
    """The paths without those inside another one (one mount covers them)."""
    kept: list[str] = []
    for path in sorted(set(paths), key=len):
        if not _inside_any(path, kept):
            kept.append(path)
    return tuple(sorted(kept))


def _inside_any(path: str, parents: list[str]) -> bool:
    return any(Path(path) == Path(p) or Path(p) in Path(path).parents for p in parents)
