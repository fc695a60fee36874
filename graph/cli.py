"""`ryx`: improve, stop all, status, report, approvals, approve, reject, note, show, repos, studio, benchmark, demo."""

from __future__ import annotations

import argparse
import sys

from ryx.errors import EXIT_OK, RyxError


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ryx", description="Ryx: a local coding agent that improves itself. "
                                "Without --target, commands work on the git repo of the current folder, "
                                "else on Ryx's own.")
    p.add_argument("--version", action="version", version=f"ryx {_version()}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    _command(sub, "improve", help="run the loop (same flags as python -m graph.run)", add_help=False)
    _command(sub, "demo", help="copy the demo target into a new git repo and improve it", add_help=False)
    stop = _command(sub, "stop", help="`ryx stop all`: stop every run of yours (CLI, Studio, benchmark) "
                          "and unload the models Ryx loaded")
    stop.add_argument("what", choices=["all"])
    stop.add_argument("--models", choices=["ryx", "all"], default="ryx",
                      help="which models to unload from Ollama: those Ryx loaded (default) or all it holds")
    for name, text in (("status", "runs, points, approvals, tickets"), ("approvals", "improvements waiting for approval")):
        _target_args(_command(sub, name, help=text))
    report = _command(sub, "report", help="points per category over cycles; --night: a night's report")
    report.add_argument("--night", metavar="ID", help="one night's morning report: `latest` or its id")
    _target_args(report)
    for name, text in (("approve", "merge an improvement into your branch, or clone a repo research proposed"),
                       ("reject", "reject an improvement (reverted on ryx/improve) or a proposed clone")):
        cmd = _command(sub, name, help=text)
        cmd.add_argument("id")
        _target_args(cmd)
    note = _command(sub, "note", help="guide Ryx on a test it escalated (unparks it)")
    note.add_argument("test_id", help="the test id from `ryx status`, or * for the whole target")
    note.add_argument("text")
    _target_args(note)
    show = _command(sub, "show", help="the whole record of an attempt (c3-a1-t2), a ticket or a commit: "
                    "prompt, replies, diff, reason, benchmark output")
    show.add_argument("id")
    _target_args(show)
    studio = _command(sub, "studio", help="serve the graph to LangGraph Studio (langgraph dev) and say where to open it")
    studio.add_argument("--port", type=int, default=2024)
    studio.add_argument("--host", default="127.0.0.1")
    repos = _command(sub, "repos", help="the repositories and packages local research searches")
    repos.add_argument("--refresh", action="store_true", help="find and index them now (else a run does it in the background)")
    _target_args(repos)
    _command(sub, "benchmark", help="print the target's scorecard (python -m benchmark)", add_help=False)
    return p


def _command(sub, name: str, help: str, **kwargs) -> argparse.ArgumentParser:
    """A subcommand whose --help starts with what it does."""
    return sub.add_parser(name, help=help, description=help[:1].upper() + help[1:] + ".", **kwargs)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ryx")
    except PackageNotFoundError:
        return "(not installed)"


def _target_args(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--target", help="the target repo (default: the git repo of the current folder, else Ryx's own)")
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

    return bench_main(rest, prog="ryx benchmark")


if __name__ == "__main__":
    sys.exit(main())


