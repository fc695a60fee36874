"""`ryx show ID`: the whole record of an attempt, a ticket, or a commit Ryx landed."""

from __future__ import annotations

import json
from pathlib import Path

from ryx.errors import UsageError
from ryx.gitsafe import SafeRepo
from ryx.memory import Memory


def record_text(mem: Memory, target: Path, key: str) -> str:
    """An attempt (`c3-a1-t2`) with its prompt, replies, diff, reason and benchmark output; a
    ticket; or a commit's approval with its patch. UsageError naming the last attempts else."""
    attempt, ticket = mem.get("attempts", key), mem.get("tickets", key)
    landed = [r for r in mem.all("approvals").values() if r["commit"].startswith(key) or r["id"] == key]
    if attempt:
        return _attempt_text(key, attempt)
    if ticket:
        return _record_text(f"ticket {key}", ticket)
    if landed and len(key) >= 4:
        with SafeRepo(target) as repo:
            patch = repo.git.show("--stat", "--patch", "--format=%H%n%s%n%n%b", landed[0]["commit"])
        return _record_text(f"commit {landed[0]['commit']}", landed[0]) + "\n" + patch
    keys = sorted(mem.all("attempts"), key=_attempt_order)[-5:]
    raise UsageError(f"nothing called {key!r} for {target}: give an attempt (the last ones: "
                     f"{', '.join(keys) or 'none'}), a ticket or a commit id from `ryx status`.")


def _attempt_order(key: str) -> tuple[int, ...]:
    return tuple(int(part[1:]) for part in key.split("-") if part[1:].isdigit())


def _attempt_text(key: str, record: dict) -> str:
    head = (f"attempt {key}: {record.get('test_id')}, cycle {record.get('cycle')}, approach "
            f"{record.get('approach')}, try {record.get('attempt')}: {record.get('status', 'not scored')}")
    parts = [head, f"samples: {record.get('samples', '')}", "", "reason:", record.get("reason", "(none yet)")]
    if record.get("diff"):
        parts += ["", "diff scored:", record["diff"]]
    parts += ["", "prompt to the coding model:", record.get("prompt", "")]
    for n, reply in enumerate(record.get("replies", []), 1):
        parts += ["", f"reply {n}:", reply]
    if record.get("output"):
        parts += ["", "benchmark output:", record["output"]]
    return "\n".join(parts)


def _record_text(title: str, record: dict) -> str:
    lines = [title]
    for key, value in record.items():
        if key == "updated":
            continue
        text = json.dumps(value, indent=1) if isinstance(value, (dict, list)) else str(value)
        lines.append(f"{key}: {text}")
    return "\n".join(lines)
