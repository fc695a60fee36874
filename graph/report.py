"""`ryx report`: a Markdown summary of points per category over the stored scorecards."""

from __future__ import annotations

import time
from pathlib import Path

from ryx.memory import Memory


def write_report(mem: Memory, target: Path, out_dir: Path) -> Path:
    """Write `report-<target>.md` beside the checkpoint database and return its path."""
    history = mem.history()
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"report-{target.name}.md"
    path.write_text(render(history, mem, target), encoding="utf-8")
    return path


def render(history: list[dict], mem: Memory, target: Path) -> str:
    lines = [f"# Ryx report for {target}", "", f"Generated {time.strftime('%Y-%m-%d %H:%M')}.", ""]
    if not history:
        return "\n".join(lines + ["No scorecard yet: run `ryx improve` or `ryx benchmark`."]) + "\n"
    categories = sorted({c for h in history for c in h["scorecard"]["categories"]})
    lines += ["| # | cycle | total | " + " | ".join(categories) + " |",
              "|---|---|---|" + "---|" * len(categories)]
    for i, h in enumerate(history, 1):
        card = h["scorecard"]
        cells = [f"{card['categories'].get(c, {}).get('points', '-')}/{card['categories'].get(c, {}).get('max', '-')}"
                 for c in categories]
        lines.append(f"| {i} | {h.get('cycle') or '-'} | {card['total']}/{card['max']} | " + " | ".join(cells) + " |")
    approvals = mem.all("approvals")
    tickets = mem.all("tickets")
    lines += ["", f"Improvements landed: {len(approvals)}; escalation tickets: {len(tickets)}."]
    return "\n".join(lines) + "\n"
