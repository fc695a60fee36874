"""The independent confirmation of a gain: plain `python -m pytest NODEIDS`, nothing of Ryx.

A fresh sandbox (another random path, HOME and hostname), no points plugin, no harness
loader, no `--ryx-*` option, no Ryx module anywhere: code that behaves differently when it
detects the benchmark loses its gain here. A canary file, read-only in a hidden folder of the
tree, rides along: its one passing and one failing test must be reported as such, so a
candidate that rewrites how pytest reports every outcome is caught here too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmark.stream import Canary
from benchmark.workbench import Workbench
from ryx.benchspec import BenchSpec
from ryx.sandbox import Finished, Sandbox, run

MARKER_HINT = ("if the pytest configuration uses --strict-markers, register the marker: "
               "markers = [\"points(n, category): benchmark points\"]")


@dataclass(frozen=True)
class Confirmation:
    confirmed: bool
    reason: str


def confirm_plain(root: Path, spec: BenchSpec, node_ids: Sequence[str], python: str) -> Confirmation:
    """Do `node_ids` pass under plain pytest, in a sandbox of their own?"""
    if spec.command:
        return Confirmation(True, "a benchmark command judges itself: no plain-pytest confirmation")
    if not node_ids:
        return Confirmation(True, "no test gained")
    with Workbench(root, spec, Sandbox(spec.sandbox), python) as bench:
        canary_file, canary = bench.add_canary(in_tree=True)
        view = bench.view()
        placed = bench.place(view)
        command = [python, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rpf", "--tb=short",
                   *node_ids, canary_file.relative_to(bench.tree).as_posix()]
        done = run(bench.launch(view, placed, command), timeout=spec.run_timeout_s, keep_stdout=True)
    return judge(done, node_ids, canary, spec)


def judge(done: Finished, node_ids: Sequence[str], canary: Canary, spec: BenchSpec) -> Confirmation:
    tail = canary.scrub(done.stdout)[-1500:]
    if done.timed_out:
        return Confirmation(False, f"plain pytest did not finish within run_timeout_s="
                                   f"{spec.run_timeout_s}s on the gained tests\n{tail}")
    if done.returncode not in (0, 1):
        return Confirmation(False, f"plain pytest could not run the gained tests (exit "
                                   f"{done.returncode}); {MARKER_HINT}\n{tail}{done.output[-500:]}")
    passed, failed = _summary(done.stdout)
    ok_canary, bad_canary = canary.find(passed, canary.passing), canary.find(failed, canary.failing)
    if ok_canary is None or bad_canary is None or canary.find(passed, canary.failing):
        return Confirmation(False, "plain pytest's report cannot be trusted: its check tests did "
                                   "not end as they must (the code changes how pytest reports)")
    missing = [tid for tid in node_ids if tid not in passed]
    if missing:
        return Confirmation(False, f"plain pytest does not confirm the gain: {', '.join(missing[:3])} "
                                   f"did not pass when run without Ryx's harness\n{tail}")
    return Confirmation(True, f"confirmed by plain pytest ({len(node_ids)} test(s))")


def _summary(stdout: str) -> tuple[set[str], set[str]]:
    """The node ids of pytest's short summary: PASSED ones and FAILED ones."""
    passed, failed = set(), set()
    for line in stdout.splitlines():
        if line.startswith("PASSED "):
            passed.add(line[7:].strip())
        elif line.startswith("FAILED "):
            failed.add(line[7:].split(" - ", 1)[0].strip())
    return passed, failed
