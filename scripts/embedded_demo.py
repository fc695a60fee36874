"""Run the loop with the embedded model (SmolLM2-135M, offline) on a fresh copy of the demo
target for a fixed number of cycles, and print the points gained.

    .venv/bin/python scripts/embedded_demo.py --cycles 3
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from graph.demo import make_demo
from graph.run import build_parser
from graph.session import Session


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=3)
    cycles = parser.parse_args().cycles
    with tempfile.TemporaryDirectory(prefix="ryx-embedded-demo-") as tmp:
        target = make_demo(Path(tmp) / "demo")
        args = build_parser().parse_args(["--target", str(target), "--provider", "embedded", "--offline",
                                          "--cycles", str(cycles), "--db", str(Path(tmp) / "db.sqlite")])
        session = Session(args)
        started = time.monotonic()
        session.run()
        tally = session.tally
    minutes = (time.monotonic() - started) / 60
    gained = (tally.last_points or 0) - (tally.first_points or 0)
    print(f"embedded model, {cycles} cycle(s) on the demo target in {minutes:.1f} min: "
          f"{tally.first_points} -> {tally.last_points} of {tally.max_points} points, gained {gained:+d}")


if __name__ == "__main__":
    main()
