"""The edit corpus: load a case directory, run it through `skills.edit`, judge the outcome.

A case is a directory holding `case.toml`, `reply.md` (the model's reply, byte for byte),
`before/` (the repository as the model saw it) and, when the reply should apply, `after/`
(the exact expected repository). `case.toml` keys: `expect` ("applied" | "refused"),
`error_contains` (strings the refusal must contain: the file, and for a search that matches
nothing, the closest lines), `known_paths` (default: every file of before/), `symlinks`
({link: target} made inside the repository at run time), `note`. In the reply, `{OUTSIDE}`
stands for the absolute path of a directory beside the repository, which must stay untouched.
Shared by `test_edit_success.py` and `scripts/edit_corpus_report.py`.
"""

from __future__ import annotations

import os
import shutil
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from skills.edit import EditError, apply_edits, parse_reply

CASES_DIR = Path(__file__).parent
VERDICTS = ("applied", "refused", "wrongly_applied", "wrongly_refused", "refused_poorly")


@dataclass(frozen=True)
class Case:
    name: str
    path: Path
    expect: str
    error_contains: tuple[str, ...] = ()
    known_paths: tuple[str, ...] | None = None
    symlinks: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    verdict: str  # one of VERDICTS
    detail: str

    @property
    def passed(self) -> bool:
        return self.verdict in ("applied", "refused")


def load_cases(root: Path = CASES_DIR) -> list[Case]:
    """Every case directory under `root`, sorted by name."""
    cases = []
    for meta in sorted(root.glob("*/case.toml")):
        data = tomllib.loads(meta.read_text(encoding="utf-8"))
        if data["expect"] not in ("applied", "refused"):
            raise ValueError(f"{meta}: expect must be 'applied' or 'refused'")
        known = data.get("known_paths")
        cases.append(Case(meta.parent.name, meta.parent, data["expect"],
                          tuple(data.get("error_contains", ())),
                          tuple(known) if known is not None else None,
                          dict(data.get("symlinks", {}))))
    return cases


def snapshot(root: Path) -> dict[str, bytes]:
    """Relative path -> bytes of every file (symlinks as their target) under root."""
    found: dict[str, bytes] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            full = Path(dirpath) / name
            rel = full.relative_to(root).as_posix()
            found[rel] = (b"-> " + os.readlink(full).encode()) if full.is_symlink() else full.read_bytes()
    return found


def run_case(case: Case, workdir: Path) -> Outcome:
    """Copy the case's repository into workdir, apply its reply, and judge the result."""
    root, outside = workdir / "repo", workdir / "outside"
    shutil.copytree(case.path / "before", root, symlinks=True)
    outside.mkdir()
    (outside / "secret.txt").write_text("outside the repository\n", encoding="utf-8")
    for link, target in case.symlinks.items():
        (root / link).symlink_to(target)
    before, before_out = snapshot(root), snapshot(outside)
    known = case.known_paths if case.known_paths is not None else tuple(
        p for p in before if not (root / p).is_symlink())
    reply = (case.path / "reply.md").read_bytes().decode("utf-8").replace("{OUTSIDE}", str(outside))
    errors = _run(root, reply, known)
    return _judge(case, errors, before, snapshot(root), before_out == snapshot(outside))


def _run(root: Path, reply: str, known: tuple[str, ...]) -> tuple[str, ...]:
    try:
        return apply_edits(root, parse_reply(reply, known_paths=known)).errors
    except EditError as exc:
        return (str(exc),)


def _judge(case: Case, errors: tuple[str, ...], before: dict, now: dict, outside_ok: bool) -> Outcome:
    text = "\n".join(errors)
    if case.expect == "applied":
        if errors:
            return Outcome("wrongly_refused", text)
        expected = snapshot(case.path / "after")
        if now == expected and outside_ok:
            return Outcome("applied", "")
        return Outcome("wrongly_applied", _tree_diff(expected, now))
    if now != before or not outside_ok:
        return Outcome("wrongly_applied", "files changed although the reply must be refused:\n"
                       + _tree_diff(before, now))
    missing = [s for s in case.error_contains if s not in text]
    if missing:
        return Outcome("refused_poorly", f"the error lacks {missing!r}:\n{text}")
    return Outcome("refused", text)


def _tree_diff(expected: dict[str, bytes], actual: dict[str, bytes]) -> str:
    lines = []
    for rel in sorted(set(expected) | set(actual)):
        want, got = expected.get(rel), actual.get(rel)
        if want != got:
            lines.append(f"{rel}:\n  expected {want!r}\n  actual   {got!r}")
    return "\n".join(lines) or "(trees equal; something outside the repository changed)"
