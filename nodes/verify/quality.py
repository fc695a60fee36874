"""Never worse code: a candidate (already cut down to what earns) may not add lint findings to
the files it changes, nor take their docstrings or comments away."""

from __future__ import annotations

from git import GitCommandError

from benchmark.quality import lost_explanations, new_findings
from ryx.config import RyxConfig
from ryx.gitops import Workspace
from ryx.gitsafe import SafeRepo


def quality_problem(ws: Workspace, config: RyxConfig, paths: list[str]) -> str | None:
    """Why the candidate now in the worktree makes the code worse, or None."""
    py = [p for p in paths if p.endswith(".py")]
    if not py:
        return None
    before, after = _texts(ws, py)
    findings = new_findings(before, after, config.lint_rules)
    if findings:
        return ("rejected: it adds lint findings (fix them, keep the rest of the change): "
                + "; ".join(findings[:5]) + (f" and {len(findings) - 5} more" if len(findings) > 5 else ""))
    lost = lost_explanations(before, after) if config.keep_docs else []
    if lost:
        return ("rejected: it deletes explanations the gain does not need (keep them): "
                + "; ".join(lost[:5]))
    return None


def _texts(ws: Workspace, paths: list[str]) -> tuple[dict[str, str | None], dict[str, str | None]]:
    before: dict[str, str | None] = {}
    with SafeRepo(ws.path) as wt:
        for path in paths:
            try:
                before[path] = wt.git.show(f"HEAD:{path}")
            except GitCommandError:  # a new file
                before[path] = None
    after = {p: (ws.path / p).read_text(encoding="utf-8", errors="replace") if (ws.path / p).is_file() else None
             for p in paths}
    return before, after
