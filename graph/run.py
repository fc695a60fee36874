"""`python -m graph.run`: run improvement cycles on a target, one graph invocation per cycle.

Heavy libraries are imported after argument parsing, so `--help` starts fast.
"""

from __future__ import annotations

import argparse
import sys

from ryx import control
from ryx.errors import EXIT_OK, EXIT_STOPPED, RyxError, UsageError

PROVIDERS = ("auto", "ollama", "embedded", "replay")


def build_parser(prog: str = "python -m graph.run") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description="Run Ryx's self-improvement loop on a target repo.")
    p.add_argument("--target", help="git repo to improve (default: the git repo of the current folder, else Ryx's own)")
    runs = p.add_mutually_exclusive_group()
    runs.add_argument("--cycles", type=int, default=1, help="improvement cycles to run (default 1)")
    runs.add_argument("--infinite", action="store_true", help="run cycles until stopped (`ryx stop all`)")
    p.add_argument("--thread", help="thread id to run or continue")
    p.add_argument("--resume", action="store_true",
                   help="continue where a thread stopped: the latest of this target, or --thread ID")
    p.add_argument("--unattended", action="store_true",
                   help="never stop for a question, even in a terminal: merges wait for `ryx approve`, "
                        "escalations for `ryx note` (always so with --infinite)")
    p.add_argument("--auto", action="store_true", help="auto-approve safe operations (safe paths only)")
    p.add_argument("--provider", choices=PROVIDERS, default="auto",
                   help="model provider (default auto: Ollama if it answers, else embedded)")
    p.add_argument("--replay", metavar="FILE", help="JSONL file of scripted replies (--provider replay)")
    p.add_argument("--model", action="append", default=[], metavar="ROLE=NAME",
                   help="model for a role: intent, reasoning, coding, supervisor (repeatable)")
    p.add_argument("--db", help="checkpoint database (default checkpoints/ryx.sqlite)")
    p.add_argument("--offline", action="store_true", help="no web research")
    p.add_argument("--focus", help="free text: what to work on (the intent model maps it to a category)")
    p.add_argument("--no-sandbox", action="store_true",
                   help="run candidate code WITHOUT isolation, as you, with your files and network "
                        "(only where bubblewrap cannot work; not recommended)")
    return p


def check_args(args: argparse.Namespace) -> None:
    if args.cycles is not None and args.cycles < 1:
        raise UsageError(f"--cycles must be at least 1 (got {args.cycles}); use --infinite to run all night.")
    if args.replay and args.provider == "auto":
        args.provider = "replay"
    if args.provider == "replay" and not args.replay:
        raise UsageError("--provider replay needs --replay FILE (a JSONL file of scripted replies).")
    if args.replay and args.provider != "replay":
        raise UsageError(f"--replay goes with --provider replay, not --provider {args.provider}.")


def main(argv: list[str] | None = None, prog: str = "python -m graph.run") -> int:
    args = build_parser(prog).parse_args(argv)
    try:
        check_args(args)
        from graph.session import Session

        with control.sigterm_as_interrupt():
            return Session(args).run()
    except RyxError as exc:
        print(f"ryx: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("ryx: stopped; the checkpoint is kept. Continue with --resume.", file=sys.stderr)
        return EXIT_STOPPED


if __name__ == "__main__":
    sys.exit(main())

__all__ = ["EXIT_OK", "build_parser", "main"]
