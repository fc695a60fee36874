"""`python -m benchmark [--target DIR] [--json]`: score a target's points benchmark."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from benchmark.runner import run_benchmark
from ryx.config import load_config
from ryx.errors import EXIT_ENVIRONMENT, EXIT_STOPPED, RyxError


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        target = _target(args.target)
        card = run_benchmark(target, load_config(target).benchmark)
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
        print(card.render_table())
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmark", description="Score a target's points benchmark."
    )
    parser.add_argument("--target", default=".", metavar="DIR",
                        help="root of the project to score (default: current directory)")
    parser.add_argument("--json", action="store_true", help="print the scorecard JSON")
    return parser


def _target(raw: str) -> Path:
    path = Path(raw).expanduser()
    if not path.is_dir():
        raise RyxError(
            f"--target {raw}: no such directory. Pass the root of a project with a points "
            "benchmark.", exit_code=EXIT_ENVIRONMENT,
        )
    return path.resolve()


if __name__ == "__main__":
    sys.exit(main())
