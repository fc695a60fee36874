"""`ryx`: improve, stop all, status, report, approvals, approve, reject, note, repos, studio, benchmark, demo."""

from __future__ import annotations

import argparse
import sys

from ryx.errors import EXIT_OK, RyxError


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ryx", description="Ryx: a local coding agent that improves itself.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("improve", help="run the loop (same flags as python -m graph.run)", add_help=False)
    sub.add_parser("demo", help="copy the demo target into a new git repo and improve it", add_help=False)
    stop = sub.add_parser("stop", help="`ryx stop all`: stop every run of yours (CLI, Studio, benchmark) "
                          "and unload the models Ryx loaded")
    stop.add_argument("what", choices=["all"])
    stop.add_argument("--models", choices=["ryx", "all"], default="ryx",
                      help="which models to unload from Ollama: those Ryx loaded (default) or all it holds")
    for name, text in (("status", "runs, points, approvals, tickets"), ("approvals", "improvements waiting for approval")):
        _target_args(sub.add_parser(name, help=text))
    report = sub.add_parser("report", help="points per category over cycles; --night: a night's report")
    report.add_argument("--night", metavar="ID", help="one night's morning report: `latest` or its id")
    _target_args(report)
    for name, text in (("approve", "merge an improvement into your branch, or clone a repo research proposed"),
                       ("reject", "reject an improvement (reverted on ryx/improve) or a proposed clone")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("id")
        _target_args(cmd)
    note = sub.add_parser("note", help="guide Ryx on a test it escalated (unparks it)")
    note.add_argument("test_id", help="the test id from `ryx status`, or * for the whole target")
    note.add_argument("text")
    _target_args(note)
    studio = sub.add_parser("studio", help="serve the graph to LangGraph Studio (langgraph dev) and say where to open it")
    studio.add_argument("--port", type=int, default=2024)
    studio.add_argument("--host", default="127.0.0.1")
    repos = sub.add_parser("repos", help="the repositories and packages local research searches")
    repos.add_argument("--refresh", action="store_true", help="find and index them now (else a run does it in the background)")
    _target_args(repos)
    sub.add_parser("benchmark", help="print the target's scorecard (python -m benchmark)", add_help=False)
    return p


def _target_args(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--target", help="the target repo (default: Ryx's own repo)")
    cmd.add_argument("--db", help="checkpoint database (default checkpoints/ryx.sqlite)")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("improve", "demo", "benchmark"):
        return _delegate(argv[0], argv[1:])
    args = build_parser().parse_args(argv)
    if args.command is None:
        build_parser().print_help()
        return EXIT_OK
    from graph import commands

    try:
        return getattr(commands, args.command)(args)
    except RyxError as exc:
        print(f"ryx: {exc}", file=sys.stderr)
        return exc.exit_code


def _delegate(command: str, rest: list[str]) -> int:
    if command == "improve":
        from graph.run import main as run_main

        return run_main(rest, prog="ryx improve")
    if command == "demo":
        from graph.demo import main as demo_main

        return demo_main(rest)
    from benchmark.__main__ import main as bench_main

    return bench_main(rest)


if __name__ == "__main__":
    sys.exit(main())


