"""What online research fetched, kept in SQLite for a while: a query asked again within the
time-to-live makes no request. Also where the last "offline" was recorded, and why."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

DEFAULT_TTL_S = 24 * 3600.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS web_cache(
    kind TEXT NOT NULL, key TEXT NOT NULL, at REAL NOT NULL, payload TEXT NOT NULL,
    PRIMARY KEY (kind, key));
CREATE TABLE IF NOT EXISTS web_status(
    name TEXT PRIMARY KEY, at REAL NOT NULL, detail TEXT NOT NULL);
"""


class WebCache:
    """Search results and page texts by (kind, key), fresh for `ttl_s` seconds."""

    def __init__(self, path: Path, ttl_s: float = DEFAULT_TTL_S) -> None:
        self.ttl_s = ttl_s
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> WebCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, kind: str, key: str) -> Any | None:
        """The stored value, or None when there is none or it is older than the TTL."""
        with self._lock:
            row = self._conn.execute("SELECT at, payload FROM web_cache WHERE kind = ? AND key = ?",
                                     (kind, key)).fetchone()
        if row is None or time.time() - row[0] > self.ttl_s:
            return None
        return json.loads(row[1])

    def put(self, kind: str, key: str, value: Any) -> None:
        with self._lock, self._conn:
            self._conn.execute("INSERT OR REPLACE INTO web_cache(kind, key, at, payload) VALUES (?, ?, ?, ?)",
                               (kind, key, time.time(), json.dumps(value)))

    def record(self, name: str, detail: str) -> None:
        """Note an event such as `offline` (kept until the next one of that name)."""
        with self._lock, self._conn:
            self._conn.execute("INSERT OR REPLACE INTO web_status(name, at, detail) VALUES (?, ?, ?)",
                               (name, time.time(), detail))

    def last(self, name: str) -> tuple[float, str] | None:
        with self._lock:
            row = self._conn.execute("SELECT at, detail FROM web_status WHERE name = ?", (name,)).fetchone()
        return (row[0], row[1]) if row else None
