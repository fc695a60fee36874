"""The first code of a benchmark run, inside the sandbox: the trusted part loads first.

    python -I -B harness_main.py PLUGIN_FILE ROOT PYTEST_ARGS...

`-I` keeps the environment and the current folder off sys.path, so nothing of the tree can
stand in for pytest, pluggy, the points plugin or the standard library while they load. All
of pytest is imported, then the plugin (from a read-only file, under a name that changes every
run), and only then is the tree put on sys.path: after the standard library and before
site-packages, where its own packages win over installed ones as under plain pytest, but none
of its files can replace a standard module. Standalone on purpose: stdlib and pytest only.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import secrets
import site
import sys
from types import ModuleType


def _load_pytest() -> ModuleType:
    import _pytest
    import pytest

    for info in pkgutil.walk_packages(_pytest.__path__, "_pytest."):
        try:
            importlib.import_module(info.name)
        except Exception:  # an optional part whose own dependency is not installed
            continue
    return pytest


def _load_plugin(path: str) -> ModuleType:
    name = f"_{secrets.token_hex(8)}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"harness: cannot load the points plugin from {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _add_root(root: str) -> None:
    sites = set(site.getsitepackages())
    at = next((i for i, entry in enumerate(sys.path) if entry in sites), len(sys.path))
    sys.path.insert(at, root)


def main(argv: list[str]) -> int:
    plugin_path, root, *args = argv
    pytest = _load_pytest()
    plugin = _load_plugin(plugin_path)
    _add_root(root)
    return int(pytest.main(args, plugins=[plugin]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
