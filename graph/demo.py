"""`ryx demo [--dir DIR] [improve flags]`: copy the demo target into a fresh git repo and improve it."""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from git import Repo

from ryx.errors import UsageError
from ryx.gitops import RYX_IDENTITY
from state.context import RYX_ROOT

DEMO_SOURCE = RYX_ROOT / "examples" / "demo_target"


def make_demo(directory: Path | None) -> Path:
    """A new git repository holding a copy of the demo target, committed once."""
    if directory is None:
        directory = Path(tempfile.mkdtemp(prefix="ryx-demo-"))
    elif directory.exists() and any(directory.iterdir()):
        raise UsageError(f"--dir {directory} exists and is not empty; name a new folder.")
    shutil.copytree(DEMO_SOURCE, directory, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    with Repo.init(directory) as repo:
        repo.git.add("-A")
        repo.git.commit("-q", "-m", "demo target", env=RYX_IDENTITY)
    return directory


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="ryx demo", add_help=False)
    parser.add_argument("--dir", type=Path, help="where to create the demo repo (default: a new temp dir)")
    known, rest = parser.parse_known_args(argv)
    if "-h" in rest or "--help" in rest:
        print("usage: ryx demo [--dir DIR] [any `ryx improve` flag, e.g. --cycles 3 --provider embedded]\n\n"
              "Copy the demo project into a new git repository and improve it, unattended (no question\n"
              "stops it); at the end it prints the commands to see and merge what it did.")
        return 0
    if "--target" in rest:
        raise_usage = "ryx demo makes its own target; use `ryx improve --target DIR` for yours."
        print(f"ryx: {raise_usage}")
        return 2
    demo = make_demo(known.dir)
    print(f"demo target: {demo}")
    from graph.run import main as run_main

    code = run_main(["--target", str(demo), "--unattended", *rest], prog="ryx demo")
    print(follow_up(demo, rest))
    return code


def follow_up(demo: Path, flags: list[str]) -> str:
    """The commands to look at what the demo did, for its repo (and its --db, if one was given)."""
    db = f" --db {flags[flags.index('--db') + 1]}" if "--db" in flags[:-1] else ""
    where = f"--target {demo}{db}"
    return ("Next:\n"
            f"  ryx status {where}          # points, approvals, tickets\n"
            f"  ryx approvals {where}       # what landed on ryx/improve, with its review\n"
            f"  ryx approve ID {where}      # merge one into the demo's branch\n"
            f"  ryx report --night latest {where}\n"
            f"  ryx improve {where} --cycles 3   # go on")
