"""What the terminal shows: one line per finished node, and the summary in points."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from state.policy import APPROACHES, TRIES_PER_APPROACH

_APPROACHES = len(APPROACHES)


def short_reason(text: str, limit: int = 150) -> str:
    """The reason for a person, in a terminal line: its first sentence, cut (if at all) at a
    word, never mid-word; the whole of it is in the attempt's record."""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    sentence = re.split(r"(?<=[.;])\s+(?=[A-Z(`])", line, maxsplit=1)[0]
    if len(sentence) <= limit:
        return sentence
    return sentence[:limit].rsplit(" ", 1)[0].rstrip(",;:(") + " …"


def describe(node: str, update: dict[str, Any] | None) -> str | None:
    """One line for a node's state update (None: nothing worth printing)."""
    update = update or {}
    if node == "route":
        return _cycle_start(update) if "cycle" in update else "stop requested: ending"
    if node == "benchmark":
        card = update["baseline"]
        cached = " (cached)" if update.get("baseline_cached") else ""
        return f"  benchmark: {card['total']}/{card['max']} points{cached}"
    if node == "pick_weakness":
        w = update.get("weakness")
        if not w:
            return _outcome(update)
        unit = "point" if w["points"] == 1 else "points"
        return f"  weakness: {w['category']} - {w['test_id']} ({w['points']} {unit})"
    if node in ("local_research", "online_research", "rethink"):
        r = update["research"]
        excerpts = len(r.get("evidence") or [])
        return (f"  approach {r['approach']}/{_APPROACHES} ({r['kind']}): {r['status']}, "
                f"{len(r['sources'])} source(s), {excerpts} excerpt(s) for the coding model")
    if node in ("patch", "verify"):
        return _attempt_line(node, update)
    if node in ("land", "escalate"):
        return _outcome(update)
    return None


def _outcome(update: dict[str, Any]) -> str | None:
    outcome = update.get("outcome")
    return f"  {outcome['summary']}" if outcome else None


def _cycle_start(update: dict[str, Any]) -> str:
    """`cycle N` (and which skills it runs, when Ryx works on itself), then what happened first."""
    skills = f" (skills of ryx/improve {update['skills'][:10]})" if update.get("skills") else ""
    lines = [f"cycle {update['cycle']}{skills}"]
    lines += [f"  skills broke the loop: {line}" for line in update.get("skills_reverted") or []]
    if update.get("followed"):
        lines.append(f"  following your branch: {update['followed']['detail']}")
    return "\n".join(lines)


def _attempt_line(node: str, update: dict[str, Any]) -> str:
    cand = update.get("candidate")
    a = cand or update["attempts"][-1]
    where = f"  approach {a['approach']}/{_APPROACHES}, attempt {a['attempt']}/{TRIES_PER_APPROACH}"
    batch = f"{where}: {a['batch']}\n" if node == "patch" and a.get("batch") else ""
    if cand:
        others = len(cand.get("alternates") or [])
        more = f", {others} more survivor(s) in reserve" if others else ""
        return f"{batch}{where}: patch applied ({cand['summary']}{more})"
    more = f" (`ryx show {a['record']}`)" if a.get("record") and a["status"] != "improved" else ""
    if node == "patch":
        return f"{batch}{where}: refused - {short_reason(a['reason'])}{more}"
    verdict = "improved" if a["status"] == "improved" else "failed"
    return f"{where}: {verdict}: {short_reason(a['reason'])}{more}"


@dataclass
class Tally:
    """Points and outcomes over a run, for the closing summary."""

    first_points: int | None = None
    last_points: int | None = None
    max_points: int | None = None
    outcomes: dict[str, int] = field(default_factory=dict)
    cycles: int = 0

    def see(self, node: str, update: dict[str, Any] | None) -> None:
        update = update or {}
        if node == "benchmark":
            card = update["baseline"]
            if self.first_points is None:
                self.first_points = card["total"]
            self.last_points, self.max_points = card["total"], card["max"]
        if node == "verify" and update["attempts"][-1]["status"] == "improved":
            self.last_points = update["attempts"][-1]["points_after"]
        outcome = update.get("outcome")
        if outcome:  # every cycle ends with one, a resumed cycle too
            self.outcomes[outcome["kind"]] = self.outcomes.get(outcome["kind"], 0) + 1
            self.cycles += 1

    def summary(self, target: str, sandboxed: bool = True) -> str:
        tail = "" if sandboxed else f" {UNSANDBOXED}"
        if self.first_points is None:
            return f"Ryx: {self.cycles} cycle(s) on {target}; no benchmark ran.{tail}"
        gained = self.last_points - self.first_points
        parts = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items())) or "no outcome"
        return (f"Ryx: {self.cycles} cycle(s) on {target}: {self.first_points} -> {self.last_points} "
                f"of {self.max_points} points ({gained:+d}); {parts}.{tail}")


UNSANDBOXED = "UNSANDBOXED (--no-sandbox): candidate code ran as you, without isolation."


def check_sandbox(enabled: bool) -> None:
    """Before any candidate runs: the sandbox works here (else exit 3 naming what to install),
    or the user turned it off, which is said loudly."""
    from ryx.sandbox import Sandbox

    if enabled:
        Sandbox(True).check()
    else:
        print(f"WARNING: {UNSANDBOXED} It can read and change your files, reach the network and "
              "outlive the run.", flush=True)
