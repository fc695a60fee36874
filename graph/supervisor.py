"""The supervisor of an all-night run: a fault in a cycle is recorded, the workspace healed and
the cycle retried after a back-off; a model server that went away is waited for. Only the same
fault again and again (`[loop] max_faults` in a row), or a model server that does not come
back within `model_wait_s`, ends the night (NightOver, exit 1)."""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from graph.night import Night
from ryx.config import FaultPolicy
from ryx.errors import RyxError
from ryx.gitops import Workspace

POLL_S = 1.0
_PROJECT = Path(__file__).resolve().parents[1]


class NightOver(RyxError):
    """The same fault kept coming back: the night ends with exit 1 and this message."""


class Supervisor:
    def __init__(self, policy: FaultPolicy, night: Night, *, workspace: Workspace,
                 stopped: Callable[[], bool], model_url: str | None) -> None:
        self.policy, self.night, self.workspace = policy, night, workspace
        self.stopped, self.model_url = stopped, model_url
        self.last_kind: str | None = None
        self.repeats = 0

    def cycle_done(self) -> None:
        """A cycle finished: the next fault starts a new count."""
        self.last_kind, self.repeats = None, 0

    def survive(self, exc: BaseException, cycle: int | None) -> None:
        """Record the fault, heal, wait; NightOver when the night cannot go on."""
        kind, trace = fault_kind(exc), "".join(traceback.format_exception(exc))
        print(f"ryx: fault in cycle {cycle}: {kind}: {exc}", file=sys.stderr, flush=True)
        print(trace, file=sys.stderr, flush=True)
        if self.model_url and is_model_outage(exc):
            self._wait_for_model(cycle, kind, str(exc), trace)
            return
        self.repeats = self.repeats + 1 if kind == self.last_kind else 1
        self.last_kind = kind
        if self.repeats >= self.policy.max_same:
            self.night.fault(cycle, kind, str(exc), "ended the night", trace)
            raise NightOver(f"the same fault happened {self.repeats} times in a row ({kind}: {exc}); "
                            "the night ends here. The traceback is in the log and in `ryx report "
                            "--night latest`; fix the cause, then resume with --resume.")
        healed = self._heal()
        delay = min(2.0 ** (self.repeats - 1), self.policy.backoff_cap_s)
        self.night.fault(cycle, kind, str(exc), f"{healed}, retried after {delay:.0f} s", trace, waited_s=delay)
        self._sleep(delay)

    def _heal(self) -> str:
        try:
            self.workspace.prepare()  # worktree recreated, stale locks cleared, `git worktree prune`
        except Exception as exc:  # healing itself failed: the retry will tell
            return f"healing failed ({type(exc).__name__}: {exc})"
        return "workspace healed"

    def _wait_for_model(self, cycle: int | None, kind: str, message: str, trace: str) -> None:
        from ryx.ollama import is_reachable

        started = time.monotonic()
        print(f"  the model server at {self.model_url} does not answer: waiting up to "
              f"{self.policy.model_wait_s:.0f} s", flush=True)
        while time.monotonic() - started < self.policy.model_wait_s and not self.stopped():
            if is_reachable(self.model_url):
                waited = time.monotonic() - started
                self.night.fault(cycle, kind, message, f"waited {waited:.0f} s for the model server", trace,
                                 waited_s=waited)
                return
            time.sleep(POLL_S)
        if self.stopped():
            return
        self.night.fault(cycle, kind, message, "ended the night", trace)
        raise NightOver(f"the model server at {self.model_url} did not come back within "
                        f"{self.policy.model_wait_s:.0f} s ([loop] model_wait_s); start it "
                        "(`ollama serve`), then resume with --resume.")

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not self.stopped():
            time.sleep(min(POLL_S, max(deadline - time.monotonic(), 0)))


def fault_kind(exc: BaseException) -> str:
    """What kind of fault: its type and the innermost place in Ryx's own code it came from."""
    place = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        path = Path(frame.filename)
        if _PROJECT in path.parents and ".venv" not in path.parts:
            place = f" at {path.relative_to(_PROJECT).as_posix()}:{frame.name}"
    return f"{type(exc).__name__}{place}"


def is_model_outage(exc: BaseException | None) -> bool:
    """A connection to the model server failed (anywhere in the exception's chain)."""
    import httpx

    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, (ConnectionError, TimeoutError, httpx.TransportError)):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False
