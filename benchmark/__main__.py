"""`python -m benchmark [--target DIR] [--json] [--db FILE] [--no-save]`: score a target.

Every scorecard is stored in the checkpoint database (the history `ryx report` draws); the
table shows the change in points since the last stored run of the same target.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from benchmark.runner import run_benchmark
from benchmark.scorecard import Scorecard, ScorecardError
from ryx import control
from ryx.benchspec import env_key
from ryx.config import load_config
from ryx.errors import EXIT_ENVIRONMENT, EXIT_STOPPED, RyxError

if TYPE_CHECKING:  # LangGraph's store: imported only when the history is used
    from ryx.memory import Memory


def main(argv: Sequence[str] | None = None, prog: str = "python -m benchmark") -> int:
    args = _parser(prog).parse_args(argv)
    try:
        with control.registered("benchmark", str(_target(args.target)), str(_db_path(args.db))), \
                control.sigterm_as_interrupt():
            target, card, previous = _score(args)
    except RyxError as exc:
        print(f"ryx: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("ryx: benchmark stopped on request (its processes were killed).", file=sys.stderr)
        return EXIT_STOPPED
    if args.json:
        print(json.dumps(card.to_json(), indent=2))
    else:
        print(f"{target}  tree {card.tree[:12]}  {card.duration_s:.1f}s")
        print(card.render_table(_card(previous)))
        print(_history_line(previous, args))
    return 0


def _score(args: argparse.Namespace) -> tuple[Path, Scorecard, dict | None]:
    """(the target, its new scorecard, the target's latest stored history entry before it, if any).

    The database is opened before the run, so a damaged one fails fast, and shared, so this
    works while a loop holds it.
    """
    target = _target(args.target)
    config = load_config(target)
    for note in config.notes:
        print(f"benchmark: {note}", file=sys.stderr)
    spec = replace(config.benchmark, sandbox=not args.no_sandbox)
    if args.no_sandbox:
        print("WARNING: --no-sandbox: the target's tests run as you, without isolation.", file=sys.stderr)
    with ExitStack() as stack:
        memory = _memory(stack, args, target)
        history = memory.history() if memory else []
        card = run_benchmark(target, spec)
        if memory and not args.no_save:
            memory.save_scorecard(card.to_json(), env_key(spec), cycle=None)
    return target, card, (history[-1] if history else None)


def _memory(stack: ExitStack, args: argparse.Namespace, target: Path) -> Memory | None:
    """The target's memory in the database; None with --no-save and no database yet."""
    path = _db_path(args.db)
    if args.no_save and not path.exists():
        return None
    from ryx.checkpoints import open_database
    from ryx.memory import Memory

    db = stack.enter_context(open_database(path, exclusive=False))
    return Memory(db.store, target)


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Score a target's points benchmark.")
    parser.add_argument("--target", metavar="DIR",
                        help="root of the project to score (default: the git repo of the current folder, "
                             "else Ryx's own)")
    parser.add_argument("--json", action="store_true", help="print the scorecard JSON")
    parser.add_argument("--db", metavar="FILE",
                        help="checkpoint database holding the scorecard history "
                             "(default checkpoints/ryx.sqlite, or under $RYX_HOME)")
    parser.add_argument("--no-save", action="store_true",
                        help="do not store this scorecard (still compared with the last stored one)")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="run the tests WITHOUT isolation, as you (only where bubblewrap cannot work)")
    return parser


def _target(raw: str | None) -> Path:
    if raw is None:
        from state.context import default_target

        return default_target()
    path = Path(raw).expanduser()
    if not path.is_dir():
        raise RyxError(
            f"--target {raw}: no such directory. Pass the root of a project with a points "
            "benchmark.", exit_code=EXIT_ENVIRONMENT,
        )
    return path.resolve()


def _db_path(raw: str | None) -> Path:
    from state.context import default_db

    return Path(raw or default_db()).expanduser().resolve()


def _card(entry: dict | None) -> Scorecard | None:
    if entry is None:
        return None
    try:
        return Scorecard.from_json(entry["scorecard"])
    except ScorecardError as exc:
        print(f"ryx: the last stored scorecard is unreadable ({exc}); showing no change.", file=sys.stderr)
        return None


def _history_line(previous: dict | None, args: argparse.Namespace) -> str:
    saved = "not stored (--no-save)" if args.no_save else f"stored in {_db_path(args.db)}"
    if previous is None:
        return f"no earlier stored run of this target to compare with; {saved}"
    card = previous["scorecard"]
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(previous.get("at", 0)))
    cycle = f", cycle {previous['cycle']}" if previous.get("cycle") is not None else ""
    return (f"change since {when} ({card['total']}/{card['max']} points, "
            f"tree {card['tree'][:12]}{cycle}); {saved}")


if __name__ == "__main__":
    sys.exit(main())
