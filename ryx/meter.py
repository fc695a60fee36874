"""Where a night's time goes: seconds by phase (model, benchmark) and counts, for the report."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager


class Meter:
    """Seconds spent per phase and events counted per name; safe to share between threads."""

    def __init__(self) -> None:
        self.seconds: Counter[str] = Counter()
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    @contextmanager
    def timing(self, phase: str) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            with self._lock:
                self.seconds[phase] += time.monotonic() - started

    def add(self, phase: str, seconds: float) -> None:
        """Seconds measured elsewhere (a model server's own load time, say)."""
        with self._lock:
            self.seconds[phase] += seconds

    def count(self, name: str, n: int = 1) -> None:
        with self._lock:
            self.counts[name] += n

    def snapshot(self) -> dict[str, dict[str, float]]:
        with self._lock:
            return {"seconds": {k: round(v, 3) for k, v in self.seconds.items()},
                    "counts": dict(self.counts)}

    def reset(self) -> None:
        with self._lock:
            self.seconds.clear()
            self.counts.clear()
