"""One status line on a terminal, rewritten in place while something slow runs (a model
generating, a benchmark running); nothing at all when the output is not a terminal, where the
loop prints one line per step instead."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

EVERY_S = 0.25  # the line is rewritten at most this often


class Live:
    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.on = bool(getattr(self.stream, "isatty", lambda: False)())
        self._shown = 0.0
        self._lock = threading.Lock()

    def show(self, text: str, *, force: bool = False) -> None:
        if not self.on:
            return
        now = time.monotonic()
        with self._lock:
            if not force and now - self._shown < EVERY_S:
                return
            self._shown = now
            self.stream.write("\r\x1b[K" + text[:160])
            self.stream.flush()

    def clear(self) -> None:
        if self.on:
            with self._lock:
                self.stream.write("\r\x1b[K")
                self.stream.flush()


LIVE = Live()
