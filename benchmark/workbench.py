"""One run's workbench: a private copy of the tree, the canary, and the sandbox's view of both.

The copy lives in a fresh temporary folder and is removed afterwards, whatever the code that
ran in it did. Inside the sandbox the benchmark files, the pytest configuration and the canary
are read-only; the harness files (the points plugin and the loader) are mounted read-only
beside it from Ryx's own tree.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path
from types import TracebackType

from benchmark.integrity import readonly_paths
from benchmark.stream import Canary
from ryx.benchspec import BenchSpec
from ryx.sandbox import Placed, Sandbox, View, copy_tree, remove_tree
from ryx.sandbox.process import Launch

PLUGIN = Path(__file__).with_name("plugin.py")
HARNESS_MAIN = Path(__file__).with_name("harness_main.py")
FILE_MB = 2048
PREFIX = "ryx-run-"
CANARY = '''import unittest


class {cls}(unittest.TestCase):
    def {ok}(self):
        self.assertEqual(sum([1, 2]), 3)

    def {bad}(self):
        self.fail("this check always fails")
'''


class Workbench:
    """`with Workbench(root, spec, sandbox) as bench:` a private copy to run commands over."""

    def __init__(self, root: Path, spec: BenchSpec, sandbox: Sandbox, python: str) -> None:
        self.root, self.spec, self.sandbox, self.python = Path(root), spec, sandbox, python
        sweep_stale()
        self.dir = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))
        self.tree = self.dir / "tree"
        self.scratch = self.dir / "tmp"
        self._files: list[Path] = [PLUGIN, HARNESS_MAIN]
        self._readonly: list[str] = []

    def __enter__(self) -> Workbench:
        try:
            copy_tree(self.root, self.tree)
            self.scratch.mkdir()
        except BaseException:
            remove_tree(self.dir)
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        remove_tree(self.dir)

    def add_canary(self, *, in_tree: bool) -> tuple[Path, Canary]:
        """The canary file, read-only: outside the tree (the plugin adds it to the run), or in
        a hidden folder of the tree (named on plain pytest's command line)."""
        folder = self.tree / f".{secrets.token_hex(5)}" if in_tree else self.dir / "harness"
        path, canary = write_canary(folder)
        if in_tree:
            self._readonly.append(folder.relative_to(self.tree).as_posix())
        else:
            self._files.append(path)
        return path, canary

    def view(self, env: dict[str, str] | None = None) -> View:
        readonly = (*readonly_paths(self.tree, self.spec), *self._readonly)
        env = {**(env or {})}
        if not self.spec.autoload_plugins:
            env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
        if not self.sandbox.enabled:
            env["TMPDIR"] = str(self.scratch)
        return View(tree=self.tree, name=self.root.name, python=self.python, readonly=readonly,
                    files=tuple(self._files), env=env, tmp_mb=max(self.spec.memory_mb, 64),
                    memory_mb=self.spec.memory_mb, file_mb=FILE_MB)

    def place(self, view: View) -> Placed:
        return self.sandbox.place(view)

    def launch(self, view: View, placed: Placed, command: list[str]) -> Launch:
        return self.sandbox.launch(view, placed, command)


def sweep_stale() -> list[Path]:
    """Remove the workbenches of Ryx processes that died without cleaning up (a SIGKILL)."""
    removed = []
    for path in Path(tempfile.gettempdir()).glob(f"{PREFIX}*"):
        pid = path.name[len(PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)) and path.stat().st_uid == os.getuid():
            remove_tree(path)
            removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write_canary(folder: Path) -> tuple[Path, Canary]:
    """A test file in `folder` whose one test passes and one fails, under names that change
    every run (collected whatever the target's python_files/python_functions say: it is named
    on the command line, and unittest classes are always collected)."""
    canary = Canary(cls=f"Check{secrets.token_hex(4).upper()}", passing=f"test_{secrets.token_hex(4)}",
                    failing=f"test_{secrets.token_hex(4)}")
    path = folder / f"c{secrets.token_hex(5)}.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(CANARY.format(cls=canary.cls, ok=canary.passing, bad=canary.failing), encoding="utf-8")
    return path, canary
