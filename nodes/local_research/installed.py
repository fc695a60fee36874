"""The installed packages a failure may concern: those the test and the suspect files import,
found in the site-packages of the interpreter that runs the target's benchmark."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from ryx.errors import EnvironmentMissing
from ryx.sandbox.interpreter import HARNESS_NAMES, describe

MAX_PACKAGES = 4
_IMPORT = re.compile(r"^\s*(?:from\s+([A-Za-z_]\w*)[\w.]*\s+import|import\s+([A-Za-z_]\w*))", re.MULTILINE)


def imported_names(texts: list[str]) -> list[str]:
    """Top-level module names imported by `texts`, in order of first import."""
    names: dict[str, None] = {}
    for text in texts:
        for a, b in _IMPORT.findall(text):
            names.setdefault(a or b, None)
    return list(names)


def installed_packages(python: str | None, root: Path, texts: list[str]) -> list[Path]:
    """Folders (or single modules) in the interpreter's site-packages that `texts` import; the
    target's own modules, the standard library and the test harness are not among them."""
    try:
        interp = describe(python or sys.executable)
    except EnvironmentMissing:
        return []
    found: list[Path] = []
    for name in imported_names(texts):
        if name in interp.stdlib or name in HARNESS_NAMES or (root / name).exists() or (root / f"{name}.py").exists():
            continue
        place = next((p for site in interp.site for p in (Path(site) / name, Path(site) / f"{name}.py")
                      if p.exists()), None)
        if place is not None:
            found.append(place)
        if len(found) >= MAX_PACKAGES:
            break
    return found
