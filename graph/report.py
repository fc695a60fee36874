"""`ryx report`: points per category over the stored scorecards, as a PNG chart and Markdown.

Both files go beside the checkpoint database: `report-<target>-<key>.png` and `.md`,
the Markdown embedding the chart by a relative link.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from ryx.memory import Memory, target_key

TABLE_ROWS = 30  # the Markdown lists the latest runs; the chart shows them all
MARKERS = "osD^vPX*"


@dataclass(frozen=True)
class Report:
    markdown: Path
    chart: Path


def write_report(mem: Memory, target: Path, out_dir: Path) -> Report | None:
    """Write the chart and the summary beside the database; None when nothing is stored yet."""
    history = mem.history()
    if not history:
        return None
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"report-{target.name}-{target_key(target)[:6]}"
    report = Report(out_dir / f"{stem}.md", out_dir / f"{stem}.png")
    draw_chart(history, target, report.chart)
    report.markdown.write_text(render(history, mem, target, report.chart.name), encoding="utf-8")
    return report


# -- the chart --------------------------------------------------------------------------------
def draw_chart(history: list[dict], target: Path, path: Path) -> None:
    """Points per category (top) and the total against its maximum (bottom), one x per run."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    runs = list(range(1, len(history) + 1))
    cards = [h["scorecard"] for h in history]
    fig = Figure(figsize=(10, 7), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[2, 1])
    few = len(runs) <= 60
    for i, name in enumerate(_categories(history)):
        points = [card["categories"].get(name, {}).get("points") for card in cards]
        latest = cards[-1]["categories"].get(name, {})
        label = f"{name} ({latest.get('points', '-')}/{latest.get('max', '-')})"
        # Distinct shapes, each smaller than the last, so categories on the same points stay visible.
        size = (10 if len(runs) <= 15 else 7) - 1.2 * i
        style = {"marker": MARKERS[i % len(MARKERS)], "markersize": max(3, size)} if few else {}
        top.plot(runs, [float("nan") if p is None else p for p in points], label=label, **style)
    marker = "o" if few else None
    top.set_ylabel("points")
    top.set_title(chart_title(target.name, len(runs)))
    top.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), title="category (latest)", fontsize=9)
    bottom.plot(runs, [c["total"] for c in cards], marker=marker, color="black", label="total")
    bottom.plot(runs, [c["max"] for c in cards], linestyle="--", color="grey", label="max")
    bottom.set_ylabel("total points")
    bottom.set_xlabel("stored run (cycle where the loop scored it)")
    bottom.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9)
    _style_axes((top, bottom), MaxNLocator)
    _label_runs(bottom, history)
    fig.savefig(path)


def _style_axes(axes: tuple, locator: type) -> None:
    for ax in axes:
        ax.yaxis.set_major_locator(locator(integer=True))
        ax.xaxis.set_major_locator(locator(integer=True, nbins=12))
        ax.margins(y=0.08)
        ax.grid(True, alpha=0.3)


def _label_runs(ax, history: list[dict]) -> None:
    """Tick labels `run` or `run\\ncN` (N the loop's cycle) on the whole-number ticks shown."""
    ticks = [t for t in ax.get_xticks() if float(t).is_integer() and 1 <= t <= len(history)]
    labels = []
    for tick in ticks:
        cycle = history[int(tick) - 1].get("cycle")
        labels.append(f"{int(tick)}" if cycle is None else f"{int(tick)}\nc{cycle}")
    ax.set_xticks(ticks, labels)


def _categories(history: list[dict]) -> list[str]:
    return sorted({c for h in history for c in h["scorecard"]["categories"]})


# -- the Markdown -----------------------------------------------------------------------------
def render(history: list[dict], mem: Memory, target: Path, chart_name: str) -> str:
    """The summary: chart, latest points per category, recent runs, approvals and tickets."""
    lines = [f"# Ryx report for {target}", "", f"Generated {time.strftime('%Y-%m-%d %H:%M')} "
             f"from {len(history)} stored scorecard(s).", "",
             f"![points per category over the stored runs]({chart_name})", ""]
    lines += _latest(history) + _runs(history)
    lines += _records("Approvals", mem.all("approvals"),
                      "{id} {status} {kind}: {test_id}, {before} -> {after} points")
    lines += _records("Tickets", mem.all("tickets"), "{id} {status}: {test_id} ({category}), cycle {cycle}")
    return "\n".join(lines) + "\n"


def _latest(history: list[dict]) -> list[str]:
    card, first = history[-1]["scorecard"], history[0]["scorecard"]
    lines = ["## Latest points", "", f"Total: **{card['total']}/{card['max']}** points "
             f"(first stored run: {first['total']}/{first['max']}).", "",
             "| category | points | max | since the first run |", "|---|---|---|---|"]
    for name in _categories(history):
        now = card["categories"].get(name)
        if now is None:
            continue
        before = first["categories"].get(name)
        change = "new" if before is None else f"{now['points'] - before['points']:+d}"
        lines.append(f"| {name} | {now['points']} | {now['max']} | {change} |")
    return lines + [""]


def _runs(history: list[dict]) -> list[str]:
    categories = _categories(history)
    shown = list(enumerate(history, 1))[-TABLE_ROWS:]
    lines = ["## Stored runs", ""]
    if len(shown) < len(history):
        lines += [f"The latest {len(shown)} of {len(history)}; the chart shows them all.", ""]
    lines += ["| # | date | cycle | total | " + " | ".join(categories) + " |",
              "|---|---|---|---|" + "---|" * len(categories)]
    for i, h in shown:
        card = h["scorecard"]
        cells = [_cell(card["categories"].get(c)) for c in categories]
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(h.get("at", 0)))
        cycle = "-" if h.get("cycle") is None else h["cycle"]
        lines.append(f"| {i} | {when} | {cycle} | {card['total']}/{card['max']} | " + " | ".join(cells) + " |")
    return lines + [""]


def _cell(category: dict | None) -> str:
    return "-" if category is None else f"{category['points']}/{category['max']}"


def _records(title: str, records: dict[str, dict], line: str) -> list[str]:
    lines = [f"## {title}: {len(records) or 'none'}", ""]
    for key, record in records.items():
        lines.append("- " + line.format_map(_Missing(key=key, **record)))
    return lines + ([""] if records else [])


class _Missing(dict):
    """Format fields a record lacks as `?` instead of failing the whole report."""

    def __missing__(self, key: str) -> str:
        return "?"


def chart_title(name: str, runs: int) -> str:
    return f"Ryx points per category: {name}  ({runs} stored run{'' if runs == 1 else 's'})"
