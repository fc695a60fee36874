"""The morning report: one night's account as Markdown and a chart, beside the database.

Written by the session when a night ends (done, stopped, Ctrl-C, a fatal fault), and again on
request by `ryx report --night latest|ID`. Files: `night-<target>-<id>.md` and `.png`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from graph.night import Night, overhead
from graph.report import draw_chart
from ryx.memory import Memory


@dataclass(frozen=True)
class NightReport:
    markdown: Path
    chart: Path | None


def write_night_report(mem: Memory, night: Night, out_dir: Path) -> NightReport:
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"night-{Path(night.target).name}-{night.id}"
    chart = out_dir / f"{stem}.png"
    history = _night_history(mem, night)
    if history:
        draw_chart(history, Path(night.target), chart)
    report = NightReport(out_dir / f"{stem}.md", chart if history else None)
    report.markdown.write_text(render_night(mem, night, chart.name if history else None), encoding="utf-8")
    return report


def _night_history(mem: Memory, night: Night) -> list[dict]:
    history = mem.history()
    ended = night.ended or time.time()
    during = [h for h in history if night.started - 1 <= h.get("at", 0) <= ended + 1]
    return during or history


def render_night(mem: Memory, night: Night, chart_name: str | None) -> str:
    lines = [f"# Ryx night {night.id} on {night.target}", "", _when(night), ""]
    if chart_name:
        lines += [f"![points per category during the night]({chart_name})", ""]
    lines += _points(night) + _landed(mem, night) + _escalated(mem, night) + _followed(night) + _faults(night)
    lines += _time(night) + _others(night)
    return "\n".join(lines) + "\n"


def _when(night: Night) -> str:
    def stamp(t: float | None) -> str:
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(t)) if t else "(running)"
    sandbox = "sandboxed" if night.sandbox else "UNSANDBOXED (--no-sandbox)"
    return (f"From {stamp(night.started)} to {stamp(night.ended)}, {night.tally.cycles} cycle(s), "
            f"{sandbox}; ended: {night.ending or 'still running'}. Thread `{night.thread}`.")


def _points(night: Night) -> list[str]:
    if not (night.first_card and night.last_card):
        return ["## Points", "", "No benchmark ran this night.", ""]
    first, last = night.first_card, night.last_card
    lines = ["## Points", "", "| category | start | end | max |", "|---|---|---|---|"]
    for name, now in sorted(last["categories"].items()):
        before = first["categories"].get(name, {}).get("points", "-")
        lines.append(f"| {name} | {before} | {now['points']} | {now['max']} |")
    end_total = night.tally.last_points if night.tally.last_points is not None else last["total"]
    lines.append(f"| **total** | {first['total']} | {end_total} | {last['max']} |")
    return lines + [""]


def _landed(mem: Memory, night: Night) -> list[str]:
    landed = night.of_kind("landed")
    approvals = {a["commit"]: a for a in mem.all("approvals").values()}
    lines = [f"## Landed on ryx/improve: {len(landed) or 'none'}", ""]
    for outcome in landed:
        record = approvals.get(outcome.get("commit") or "", {})
        if record:
            lines.append(f"- `{record['commit'][:10]}` {record['test_id']}: {record['before']} -> "
                         f"{record['after']} points; approval `{record['id']}` {record['status']} "
                         f"({record['kind']}) (cycle {outcome['cycle']})")
            review = record.get("review")
            if review:
                lines.append(f"  - review{' (FLAGGED)' if review['flagged'] else ''}: {review['text']}")
        else:
            lines.append(f"- cycle {outcome['cycle']}: {outcome['summary']}")
    return lines + ([""] if landed else [])


def _escalated(mem: Memory, night: Night) -> list[str]:
    escalated = night.of_kind("escalated")
    lines = [f"## Escalated: {len(escalated) or 'none'}", ""]
    for outcome in escalated:
        ticket = mem.get("tickets", outcome.get("ticket") or "") or {}
        draft = next((ln for ln in str(ticket.get("draft", "")).splitlines() if ln.strip()), "")
        lines.append(f"- cycle {outcome['cycle']}: {outcome['summary']}" + (f" - {draft}" if draft else ""))
    return lines + ([""] if escalated else [])


def _followed(night: Night) -> list[str]:
    if not night.followed:
        return []
    lines = ["## ryx/improve followed your branch", ""]
    lines += [f"- cycle {f['cycle']}: {f['detail']}" for f in night.followed]
    return lines + [""]


def _faults(night: Night) -> list[str]:
    lines = [f"## Faults survived: {len(night.faults) or 'none'}", ""]
    for fault in night.faults:
        when = time.strftime("%H:%M:%S", time.localtime(fault["at"]))
        lines.append(f"- {when}, cycle {fault['cycle']}: `{fault['kind']}`: {fault['message'][:300]} "
                     f"({fault['action']})")
    return lines + ([""] if night.faults else [])


def _time(night: Night) -> list[str]:
    s = night.seconds
    if not s:
        return []
    rows = [("model", s["model"]), ("benchmark", s["benchmark"]), ("waiting out faults", s.get("faults", 0.0)),
            ("overhead", overhead(s))]
    lines = ["## Time", "", "| phase | seconds | share |", "|---|---|---|"]
    lines += [f"| {name} | {value:.1f} | {value / max(s['wall'], 1e-9):.0%} |" for name, value in rows]
    lines += [f"| wall | {s['wall']:.1f} | |", ""]
    if night.loads:
        cycles = max(night.tally.cycles, 1)
        lines += ["Model loads: " + ", ".join(f"{role} {n} ({n / cycles:.1f} a cycle)"
                                             for role, n in sorted(night.loads.items())), ""]
    if night.roles:
        first = night.model_lines()[0]
        lines += [first[:1].upper() + first[1:] + ".", "",
                  "| role | seconds | calls | tokens in | tokens out | loading s |", "|---|---|---|---|---|---|"]
        lines += [f"| {role} | {r['seconds']:.1f} | {r['calls']} | {r['tokens_in']} | {r['tokens_out']} | "
                  f"{r['load_s']:.1f} |" for role, r in night.roles.items()]
        lines.append("")
    return lines


def _others(night: Night) -> list[str]:
    others = [o for o in night.outcomes if o["kind"] not in ("landed", "escalated")]
    if not others:
        return []
    return ["## Other cycles", ""] + [f"- cycle {o['cycle']}: {o['kind']}: {o['summary']}" for o in others] + [""]
