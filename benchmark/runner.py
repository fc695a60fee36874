"""Run a target's points benchmark in a contained subprocess and return its Scorecard.

Containment: cwd = the target root, a scrubbed environment (no credentials, PYTHONPATH = the
root so the target's own packages win), a new session whose whole process group is killed
at the end (timeout, Ctrl-C, or stray grandchildren after a normal exit), an address-space
cap (RLIMIT_AS, set inside the child before anything else runs), a timeout per test and per
run.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from benchmark.integrity import benchmark_files_hash, tree_hash
from benchmark.scorecard import BenchmarkError, Scorecard, TestResult
from benchmark.spec import BenchSpec
from ryx.errors import EXIT_ENVIRONMENT, EXIT_USAGE

PLUGIN = Path(__file__).with_name("plugin.py")
OUTPUT_TAIL = 8000

# argv: plugin path, memory cap in bytes (0: none), pytest arguments...
LOADER = """\
import importlib.util, resource, sys
_path, _cap = sys.argv[1], int(sys.argv[2])
del sys.argv[1:3]
if _cap > 0:
    resource.setrlimit(resource.RLIMIT_AS, (_cap, _cap))
_spec = importlib.util.spec_from_file_location("_ryx_points", _path)
_mod = importlib.util.module_from_spec(_spec)
sys.modules["_ryx_points"] = _mod
_spec.loader.exec_module(_mod)
import pytest
sys.exit(pytest.main(sys.argv[1:], plugins=[_mod]))
"""
# argv: memory cap in bytes, program, arguments... (a shell command under the same cap)
EXEC_LIMITED = """\
import os, resource, sys
_cap = int(sys.argv[1])
if _cap > 0:
    resource.setrlimit(resource.RLIMIT_AS, (_cap, _cap))
os.execvp(sys.argv[2], sys.argv[2:])
"""

_SECRET_WORDS = ("TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "KEY", "AUTH", "PRIVATE")
_SECRET_PREFIXES = (
    "AWS_", "OPENAI_", "ANTHROPIC_", "GITHUB_", "GH_", "GITLAB_", "HF_", "HUGGING", "AZURE_",
    "GOOGLE_", "GCP_", "CLOUDSDK_", "TWINE_", "NPM_", "PYPI_", "DOCKER_", "COHERE_", "MISTRAL_",
    "GROQ_", "LANGCHAIN_", "LANGSMITH_", "PYTEST_", "GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE",
)
# PYTEST_DISABLE_PLUGIN_AUTOLOAD only removes code from the run: the user may keep it.
_ALLOWED = frozenset({"KEYTIMEOUT", "XAUTHORITY", "PYTEST_DISABLE_PLUGIN_AUTOLOAD"})


@dataclass(frozen=True)
class _Finished:
    returncode: int
    timed_out: bool
    output: str


def run_benchmark(root: Path, spec: BenchSpec, *, only: Sequence[str] = ()) -> Scorecard:
    """Score the working tree at `root` (uncommitted changes included).

    `only`: node ids to run instead of the whole benchmark (e.g. to confirm a gain).
    """
    root = _check_root(root)
    bench_hash = benchmark_files_hash(root, spec)
    tree = tree_hash(root)
    started = time.monotonic()
    card = _run_command(root, spec) if spec.command else _run_pytest(root, spec, only)
    return replace(card, tree=tree, benchmark_hash=bench_hash,
                   duration_s=time.monotonic() - started)


def _check_root(root: Path) -> Path:
    path = Path(root).expanduser()
    if not path.is_dir():
        raise BenchmarkError(
            f"benchmark target {path} is not a directory; pass the root of a project "
            "(--target DIR).", exit_code=EXIT_ENVIRONMENT,
        )
    return path.resolve()


def scrubbed_env(root: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The parent's environment without anything that looks like a credential (or that
    changes what pytest loads), with PYTHONPATH = root."""
    env = {name: value for name, value in (os.environ if base is None else base).items()
           if name in _ALLOWED or not _looks_secret(name)}
    env["PYTHONPATH"] = str(root)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _looks_secret(name: str) -> bool:
    upper = name.upper()
    return upper.startswith(_SECRET_PREFIXES) or any(w in upper for w in _SECRET_WORDS)


def _run_pytest(root: Path, spec: BenchSpec, only: Sequence[str]) -> Scorecard:
    _check_paths(root, spec)
    targets = list(only) or list(spec.paths)
    with tempfile.TemporaryDirectory(prefix="ryx-bench-") as tmp:
        report = Path(tmp) / "report.json"
        args = [*targets, "--rootdir", str(root), "-p", "no:cacheprovider", "-q",
                "--tb=short", f"--ryx-report={report}",
                f"--ryx-test-timeout={spec.test_timeout_s}"]
        if not spec.paths:
            args.append("--ryx-all-tests")
        python = _python(root, spec)
        cmd = [python, "-c", LOADER, str(PLUGIN), str(_cap_bytes(spec)), *args]
        done = _execute(cmd, root, spec, Path(tmp) / "output.log")
        return _pytest_scorecard(report, done, _Context(root, spec, python, targets))


def _check_paths(root: Path, spec: BenchSpec) -> None:
    missing = [p for p in spec.paths if not (root / p.split("::", 1)[0]).exists()]
    if missing:
        raise BenchmarkError(
            f"benchmark path {', '.join(missing)} does not exist in {root}. Set benchmark.paths "
            "in ryx.toml to the folder of the points tests, or to [] to count every test 1 "
            "point.", exit_code=EXIT_USAGE,
        )


@dataclass(frozen=True)
class _Context:
    root: Path
    spec: BenchSpec
    python: str
    targets: list[str]

    def reproduce(self) -> str:
        command = [self.python, "-m", "pytest", *self.targets, "-p", "no:cacheprovider", "-q"]
        return f"cd {shlex.quote(str(self.root))} && PYTHONPATH=. {shlex.join(command)}"


def _python(root: Path, spec: BenchSpec) -> str:
    wanted = spec.python or sys.executable
    local = root / wanted
    found = str(local) if not Path(wanted).is_absolute() and local.is_file() else shutil.which(wanted)
    if not found:
        raise BenchmarkError(
            f"the benchmark's python {wanted!r} was not found (from benchmark.python); set it "
            "to an interpreter that has pytest installed.", exit_code=EXIT_ENVIRONMENT,
        )
    return found


def _cap_bytes(spec: BenchSpec) -> int:
    return max(int(spec.memory_mb), 0) * 1024 * 1024


def _execute(cmd: list[str], root: Path, spec: BenchSpec, log_path: Path,
             stdout_path: Path | None = None) -> _Finished:
    """Run `cmd` in its own session; on timeout, Ctrl-C or exit, kill its process group."""
    with ExitStack() as files:
        log = files.enter_context(open(log_path, "wb"))
        out = files.enter_context(open(stdout_path, "wb")) if stdout_path else log
        env = scrubbed_env(root)
        if not spec.autoload_plugins:
            env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
        proc = subprocess.Popen(
            cmd, cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=out,
            stderr=subprocess.STDOUT if out is log else log, start_new_session=True,
        )
        timed_out = False
        try:
            proc.wait(timeout=spec.run_timeout_s)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            _kill_group(proc.pid)
            proc.wait()
    return _Finished(proc.returncode, timed_out, _tail(log_path))


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _tail(path: Path) -> str:
    data = path.read_bytes()[-OUTPUT_TAIL:] if path.is_file() else b""
    return data.decode("utf-8", errors="replace")


def _pytest_scorecard(report: Path, done: _Finished, ctx: _Context) -> Scorecard:
    if done.returncode == 5 and not done.timed_out:
        raise BenchmarkError(_no_tests_message(ctx), exit_code=EXIT_USAGE)
    if done.returncode in (2, 3, 4) and not done.timed_out:
        raise BenchmarkError(
            f"pytest could not run the benchmark of {ctx.root} (exit {done.returncode}: "
            f"{_EXIT_NAMES[done.returncode]}). Reproduce with: {ctx.reproduce()}\n"
            f"--- output tail ---\n{done.output}"
        )
    if report.is_file() and not done.timed_out:
        raw = json.loads(report.read_text(encoding="utf-8"))
        tests = {tid: TestResult.from_json(tid, value) for tid, value in raw["tests"].items()}
        return Scorecard(tests=tests, output=done.output)
    return _from_journal(Path(f"{report}.jsonl"), done, ctx)


_EXIT_NAMES = {2: "interrupted, e.g. a collection error", 3: "internal error", 4: "usage error"}


def _no_tests_message(ctx: _Context) -> str:
    where = ", ".join(ctx.targets) or str(ctx.root)
    if not ctx.spec.paths:
        return (f"no tests were collected in {ctx.root} (every test counts 1 point in this mode). "
                "Add pytest tests, or set benchmark.paths in ryx.toml to where they are.")
    return (
        f"no points-marked tests were found under {where} in {ctx.root}. Mark benchmark tests "
        "with @pytest.mark.points(N, category='edit_success') (N a whole number), or set "
        "benchmark.paths = [] in ryx.toml to count every test 1 point."
    )


def _from_journal(journal: Path, done: _Finished, ctx: _Context) -> Scorecard:
    """Results of a run that was killed (timeout) or died: unfinished tests score nothing."""
    collected, finished = _read_journal(journal)
    why = (f"ran past run_timeout_s={ctx.spec.run_timeout_s}s" if done.timed_out
           else f"ended with exit code {done.returncode} before writing its report")
    if not collected:
        raise BenchmarkError(
            f"the benchmark of {ctx.root} {why} and reported no tests. Reproduce with: "
            f"{ctx.reproduce()}\n--- output tail ---\n{done.output}"
        )
    unfinished = "timeout" if done.timed_out else "error"
    tests = {
        tid: TestResult(points["category"], int(points["value"]),
                        *finished.get(tid, (unfinished, 0.0)))
        for tid, points in collected.items()
    }
    return Scorecard(tests=tests, output=f"{done.output}\n[ryx] the benchmark {why}.")


def _read_journal(journal: Path) -> tuple[dict[str, Any], dict[str, tuple[str, float]]]:
    collected: dict[str, Any] = {}
    finished: dict[str, tuple[str, float]] = {}
    lines = journal.read_text(encoding="utf-8").splitlines() if journal.is_file() else []
    for line in lines:
        try:
            record = json.loads(line)
        except json.JSONDecodeError:  # the last line of a killed run may be cut short
            continue
        if "collected" in record:
            collected = record["collected"]
        elif "test" in record:
            finished[record["test"]] = (record["outcome"], float(record["duration_s"]))
    return collected, finished


def _run_command(root: Path, spec: BenchSpec) -> Scorecard:
    """`benchmark.command`: a program that prints the scorecard JSON on stdout."""
    assert spec.command is not None
    with tempfile.TemporaryDirectory(prefix="ryx-bench-") as tmp:
        stdout = Path(tmp) / "stdout.json"
        cmd = [sys.executable, "-c", EXEC_LIMITED, str(_cap_bytes(spec)),
               "/bin/sh", "-c", spec.command]
        done = _execute(cmd, root, spec, Path(tmp) / "stderr.log", stdout_path=stdout)
        text = stdout.read_text(encoding="utf-8", errors="replace")
    where = f"the benchmark command {spec.command!r} in {root}"
    if done.timed_out:
        raise BenchmarkError(f"{where} ran past run_timeout_s={spec.run_timeout_s}s and was "
                             f"killed.\n--- stderr tail ---\n{done.output}")
    raw = _parse_json(text)
    if raw is None:
        raise BenchmarkError(
            f"{where} (exit {done.returncode}) printed no scorecard JSON on stdout; it must print "
            f"{{\"tests\": {{id: {{\"category\", \"points\", \"outcome\"}}}}, ...}}.\n"
            f"--- stdout tail ---\n{text[-2000:]}\n--- stderr tail ---\n{done.output}"
        )
    try:
        return Scorecard.from_json(raw, output=done.output)
    except BenchmarkError as exc:
        raise BenchmarkError(f"{where}: {exc}") from exc


def _parse_json(text: str) -> Any:
    candidates = [text] + [line for line in reversed(text.splitlines()) if line.startswith("{")]
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except json.JSONDecodeError:
            continue
    return None
