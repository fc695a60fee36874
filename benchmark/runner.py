"""Run a target's points benchmark in the sandbox and return its Scorecard.

Every run works on a private copy of the tree (`benchmark.workbench`), in bubblewrap unless
the user opted out (`BenchSpec.sandbox`), through the trusted harness (`harness_main.py`),
with its results streamed over a pipe and checked (`benchmark.stream`). The benchmark files are
hashed before and after the run; a tree whose pytest configuration differs from its HEAD
commit is refused when the caller asks (the loop always does).
"""

from __future__ import annotations

import json
import shlex
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from benchmark.integrity import benchmark_files_hash, config_changes, tree_hash
from benchmark.scorecard import BenchmarkError, Scorecard, TestResult
from benchmark.stream import Canary, Report, ReportTampered, check_canary, read_report
from benchmark.workbench import HARNESS_MAIN, PLUGIN, Workbench
from ryx.benchspec import BenchSpec
from ryx.errors import EXIT_ENVIRONMENT, EXIT_USAGE
from ryx.live import LIVE
from ryx.sandbox import Channel, Finished, Sandbox, run
from ryx.sandbox.jail import scrubbed_env

__all__ = ["BenchmarkError", "ReportTampered", "run_benchmark", "scrubbed_env"]


def run_benchmark(root: Path, spec: BenchSpec, *, only: Sequence[str] = (),
                  config_from_head: bool = False, label: str | None = None) -> Scorecard:
    """Score the working tree at `root` (uncommitted changes included).

    `only`: node ids to run instead of the whole benchmark (e.g. to confirm a gain).
    `config_from_head`: refuse a tree whose pytest configuration is not its HEAD commit's.
    `label`: how messages name the tree (the loop's worktree path means nothing to a user).
    """
    root = _check_root(root)
    label = label or str(root)
    if config_from_head:
        _check_config(root)
    sandbox = Sandbox(spec.sandbox)
    sandbox.check()
    tree = tree_hash(root)
    started = time.monotonic()
    with Workbench(root, spec, sandbox, python_of(root, spec)) as bench:
        bench_hash = benchmark_files_hash(bench.tree, spec)
        card = _run_command(bench, label) if spec.command else _run_pytest(bench, only, label)
        if benchmark_files_hash(bench.tree, spec) != bench_hash:
            raise BenchmarkError(f"the benchmark files of {label} changed while it ran; the run "
                                 "is not counted.")
    return replace(card, tree=tree, benchmark_hash=bench_hash, duration_s=time.monotonic() - started)


def _check_root(root: Path) -> Path:
    path = Path(root).expanduser()
    if not path.is_dir():
        raise BenchmarkError(
            f"benchmark target {path} is not a directory; pass the root of a project "
            "(--target DIR).", exit_code=EXIT_ENVIRONMENT,
        )
    return path.resolve()


def _check_config(root: Path) -> None:
    changed = config_changes(root)
    if changed:
        raise BenchmarkError(
            f"the tree changes pytest configuration ({', '.join(changed)}); the benchmark runs "
            "with the configuration of the baseline commit only, so it was not scored.")


def python_of(root: Path, spec: BenchSpec) -> str:
    """The benchmark's interpreter (an absolute path)."""
    wanted = spec.python or sys.executable
    local = root / wanted
    found = str(local) if not Path(wanted).is_absolute() and local.is_file() else shutil.which(wanted)
    if not found:
        raise BenchmarkError(
            f"the benchmark's python {wanted!r} was not found (from benchmark.python); set it "
            "to an interpreter that has pytest installed.", exit_code=EXIT_ENVIRONMENT,
        )
    return str(Path(found).absolute())


@dataclass(frozen=True)
class _Context:
    root: Path
    label: str
    spec: BenchSpec
    targets: list[str]

    def reproduce(self) -> str:
        """The command to run the same tests by hand; in the tree as the user knows it (the
        loop's own worktree is named by its branch, never by its internal path)."""
        command = [self.spec.python or "python", "-m", "pytest", *self.targets, "-p", "no:cacheprovider", "-q"]
        if ".git/ryx/" in self.root.as_posix():
            return f"{shlex.join(command)} (in a checkout of {self.label})"
        return f"cd {shlex.quote(str(self.root))} && {shlex.join(command)}"


def _run_pytest(bench: Workbench, only: Sequence[str], label: str) -> Scorecard:
    spec = bench.spec
    _check_paths(bench.tree, label, spec)
    targets = list(only) or list(spec.paths)
    canary_file, canary = bench.add_canary(in_tree=False)
    view = bench.view()
    placed = bench.place(view)
    channel = Channel()
    try:
        args = [*targets, "--rootdir", placed.root, "-p", "no:cacheprovider", "-q", "--tb=short",
                f"--ryx-report={channel.path}", f"--ryx-test-timeout={spec.test_timeout_s}",
                f"--ryx-canary={placed.file(canary_file)}"]
        if not spec.paths:
            args.append("--ryx-all-tests")
        command = [bench.python, "-I", "-B", placed.file(HARNESS_MAIN), placed.file(PLUGIN),
                   placed.root, *args]
        watch = _Progress(label, canary) if LIVE.on else None
        done = run(bench.launch(view, placed, command), timeout=spec.run_timeout_s, channel=channel,
                   on_channel=watch)
    finally:
        channel.close()
        LIVE.clear()
    return _pytest_scorecard(done, canary, _Context(bench.root, label, spec, targets))


class _Progress:
    """Tests done of those collected, on the terminal's status line, while the run goes on."""

    def __init__(self, label: str, canary: Canary) -> None:
        self.label, self.canary = Path(label).name or label, canary
        self.started, self.total = time.monotonic(), 0

    def __call__(self, text: str) -> None:
        lines = text.split("\n")
        if not self.total:
            try:
                collected = json.loads(lines[0]).get("collected", {})
            except (ValueError, AttributeError):
                return
            self.total = len([t for t in collected if not self.canary.is_canary(t)])
        done = sum(1 for line in lines[1:] if line.startswith('{"test": ') and not self.canary.is_canary(
            line.split('"', 4)[3]))
        LIVE.show(f"  benchmark ({self.label}): {done}/{self.total} tests, {time.monotonic() - self.started:.0f} s")


def _check_paths(tree: Path, root: str, spec: BenchSpec) -> None:
    missing = [p for p in spec.paths if not (tree / p.split("::", 1)[0]).exists()]
    if missing:
        raise BenchmarkError(
            f"benchmark path {', '.join(missing)} does not exist in {root}. Set benchmark.paths "
            "in ryx.toml to the folder of the points tests, or to [] to count every test 1 "
            "point.", exit_code=EXIT_USAGE,
        )


def _pytest_scorecard(done: Finished, canary: Canary, ctx: _Context) -> Scorecard:
    if "channel" in done.overflow:
        raise ReportTampered("the run flooded its report channel (over 64 MB); not counted.")
    report = read_report(done.channel)
    if done.returncode in (2, 3, 4) and not done.timed_out:
        raise BenchmarkError(
            f"pytest could not run the benchmark of {ctx.label} (exit {done.returncode}: "
            f"{_EXIT_NAMES[done.returncode]}). Reproduce with: {ctx.reproduce()}\n"
            f"--- output tail ---\n{canary.scrub(done.output)}"
        )
    if report.seen_collected:
        check_canary(report, canary)
    points = {tid: info for tid, info in report.collected.items() if not canary.is_canary(tid)}
    if not points and report.seen_collected:
        raise BenchmarkError(_no_tests_message(ctx), exit_code=EXIT_USAGE)
    if not report.seen_collected:
        why = _why_unfinished(done, ctx)
        raise BenchmarkError(f"the benchmark of {ctx.label} {why} and reported no tests. Reproduce "
                             f"with: {ctx.reproduce()}\n--- output tail ---\n{done.output}")
    return Scorecard(tests=_results(points, report, done), output=canary.scrub(_output(report, done, ctx)))


_EXIT_NAMES = {2: "interrupted, e.g. a collection error", 3: "internal error", 4: "usage error"}


def _results(points: dict, report: Report, done: Finished) -> dict[str, TestResult]:
    """Each collected test with its outcome; one that never finished scores nothing."""
    complete = report.finished is not None and not done.timed_out
    unfinished = "skipped" if complete else ("timeout" if done.timed_out else "error")
    return {tid: TestResult(info["category"], int(info["value"]),
                            *report.results.get(tid, (unfinished, 0.0)))
            for tid, info in points.items()}


def _why_unfinished(done: Finished, ctx: _Context) -> str:
    if done.timed_out:
        return f"ran past run_timeout_s={ctx.spec.run_timeout_s}s"
    return f"ended with exit code {done.returncode} before writing its report"


def _output(report: Report, done: Finished, ctx: _Context) -> str:
    if report.finished is not None and not done.timed_out:
        return done.output
    return f"{done.output}\n[ryx] the benchmark {_why_unfinished(done, ctx)}."


def _no_tests_message(ctx: _Context) -> str:
    where = ", ".join(ctx.targets) or ctx.label
    if not ctx.spec.paths:
        return (f"no tests were collected in {ctx.label} (every test counts 1 point in this mode). "
                "Add pytest tests, or set benchmark.paths in ryx.toml to where they are.")
    return (
        f"no points-marked tests were found under {where} in {ctx.label}. Mark benchmark tests "
        "with @pytest.mark.points(N, category='edit_success') (N a whole number), or set "
        "benchmark.paths = [] in ryx.toml to count every test 1 point."
    )


def _run_command(bench: Workbench, label: str) -> Scorecard:
    """`benchmark.command`: a program that prints the scorecard JSON on stdout."""
    spec = bench.spec
    assert spec.command is not None
    view = bench.view()
    placed = bench.place(view)
    done = run(bench.launch(view, placed, ["/bin/sh", "-c", spec.command]),
               timeout=spec.run_timeout_s, keep_stdout=True)
    where = f"the benchmark command {spec.command!r} in {label}"
    if done.timed_out:
        raise BenchmarkError(f"{where} ran past run_timeout_s={spec.run_timeout_s}s and was "
                             f"killed.\n--- stderr tail ---\n{done.output}")
    raw = _parse_json(done.stdout)
    if raw is None:
        raise BenchmarkError(
            f"{where} (exit {done.returncode}) printed no scorecard JSON on stdout; it must print "
            f"{{\"tests\": {{id: {{\"category\", \"points\", \"outcome\"}}}}, ...}}.\n"
            f"--- stdout tail ---\n{done.stdout[-2000:]}\n--- stderr tail ---\n{done.output}"
        )
    try:
        return Scorecard.from_json(raw, output=done.output)
    except BenchmarkError as exc:
        raise BenchmarkError(f"{where}: {exc}") from exc


def _parse_json(text: str):
    candidates = [text] + [line for line in reversed(text.splitlines()) if line.startswith("{")]
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except json.JSONDecodeError:
            continue
    return None
