"""The local library research draws on: the git repositories Ryx found on this machine, the
installed packages of the target's interpreter, the clones the user approved, and their code
index, kept current by a background thread so a large home never holds up a cycle.

Everything lives in the research folder beside the checkpoint database: `library.sqlite`
(what is known, and when each source was last indexed) and `home.sqlite` (the FTS5 index).
The index is the loop's own trusted code reading files; nothing found here is ever run.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ryx.repos import discover
from skills.search import CodeIndex, Hit

KINDS = ("repo", "site", "clone")


@dataclass(frozen=True)
class Source:
    """One searchable folder; `name` is how provenance cites it (`~/work/libs/textkit`)."""

    name: str
    path: Path
    kind: str
    found_at: float
    indexed_at: float | None = None
    files: int = 0
    seconds: float = 0.0


def display_name(path: Path, kind: str = "repo") -> str:
    """`~/rel/path` under the home, `site-packages/NAME` for an installed package, else the path."""
    if kind == "site":
        return f"site-packages/{path.name.removesuffix('.py')}"
    home = Path.home()
    try:
        return f"~/{path.relative_to(home).as_posix()}"
    except ValueError:
        return str(path)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS sources(
    name TEXT PRIMARY KEY, path TEXT NOT NULL, kind TEXT NOT NULL, found_at REAL NOT NULL,
    indexed_at REAL, files INTEGER NOT NULL DEFAULT 0, seconds REAL NOT NULL DEFAULT 0);
"""


class Library:
    """What research can search, in `folder` (created when missing)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.index_path = self.folder / "home.sqlite"
        self._conn = sqlite3.connect(str(self.folder / "library.sqlite"), timeout=30, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:  # never under a statement the indexer's thread is running
            self._conn.close()

    def add(self, paths: Iterable[Path], kind: str = "repo") -> list[Source]:
        """Register folders (known ones keep their record); the sources for `paths`, in order."""
        if kind not in KINDS:
            raise ValueError(f"unknown source kind {kind!r}; one of {', '.join(KINDS)}")
        now = time.time()
        rows = [(display_name(Path(p), kind), str(p), kind, now) for p in paths]
        with self._lock, self._conn:
            self._conn.executemany(
                "INSERT INTO sources(name, path, kind, found_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET path = excluded.path", rows)
        wanted = [name for name, *_ in rows]
        known = {s.name: s for s in self.sources()}
        return [known[name] for name in wanted if name in known]

    def sources(self, kinds: Iterable[str] = KINDS) -> list[Source]:
        kinds = tuple(kinds)
        with self._lock:
            rows = self._conn.execute(
                f"SELECT name, path, kind, found_at, indexed_at, files, seconds FROM sources "
                f"WHERE kind IN ({', '.join('?' * len(kinds))}) ORDER BY found_at, name", kinds).fetchall()
        return [Source(name, Path(path), *rest) for name, path, *rest in rows]

    def root_of(self, name: str) -> Path | None:
        with self._lock:
            row = self._conn.execute("SELECT path FROM sources WHERE name = ?", (name,)).fetchone()
        return Path(row[0]) if row else None

    def mark_indexed(self, name: str, files: int, seconds: float) -> None:
        with self._lock, self._conn:
            self._conn.execute("UPDATE sources SET indexed_at = ?, files = ?, seconds = ? WHERE name = ?",
                               (time.time(), files, seconds, name))

    def forget(self, name: str) -> None:
        with self._lock, self._conn:
            self._conn.execute("DELETE FROM sources WHERE name = ?", (name,))

    def search(self, query: str, limit: int, *, exclude: Iterable[str] = ()) -> list[Hit]:
        """The best hits among what is indexed so far (a read-only view: never waits on the
        indexer's writes)."""
        if not self.index_path.exists():
            return []
        skip = set(exclude)
        names = [s.name for s in self.sources() if s.indexed_at and s.name not in skip]
        if not names:
            return []
        with CodeIndex(self.index_path, readonly=True) as index:
            return index.search(query, limit=limit, repos=names)


@dataclass(frozen=True)
class Plan:
    """Where the indexer looks: roots to discover repos under, and folders it always indexes."""

    roots: tuple[Path, ...]
    exclude: tuple[str, ...] = ()
    skip: tuple[Path, ...] = ()  # never index these (the target itself: it has its own index)


def plan_for(config, skip: Iterable[Path] = ()) -> Plan:
    """Where the library looks for a target's `config` ([research] roots and exclude): the
    configured roots, else the home and the target's parent folder; never at the target
    itself (research indexes it on its own)."""
    roots = config.research_roots or (Path.home(), *_parent_unless_temp(config.root))
    return Plan(roots=tuple(roots), exclude=config.research_exclude, skip=(config.root, *skip))


def _parent_unless_temp(root: Path) -> tuple[Path, ...]:
    """The target's parent folder, unless it is the system's temporary folder (a demo lives
    there): walking that would reach every program's scratch space, Ryx's own included."""
    parent = Path(root).resolve().parent
    return () if parent == Path(tempfile.gettempdir()).resolve() else (parent,)


def research_folder(db_path: str | Path) -> Path:
    """Research's own folder beside the checkpoint database: the target's code index (the only
    folder a sandboxed search skill may write), the library and the web cache."""
    folder = Path(db_path).parent / "research"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Indexer:
    """Discovers and indexes the library's sources on a background thread, one pass per
    `kick()` (but a whole pass at most every `refresh_s` seconds: a kick in between indexes only
    what was prioritized); `prioritize()` puts sources at the front of the current pass."""

    def __init__(self, library: Library, plan: Callable[[], Plan], refresh_s: float = 0.0) -> None:
        self.library, self._plan, self.refresh_s = library, plan, refresh_s
        self._last_full: float | None = None
        self._kick, self._stop, self._idle = threading.Event(), threading.Event(), threading.Event()
        self._urgent: list[Source] = []
        self._lock = threading.Lock()
        self.passes = 0
        self.error: str | None = None
        self._thread = threading.Thread(target=self._run, name="ryx-indexer", daemon=True)

    def start(self) -> Indexer:
        self._thread.start()
        self.kick()
        return self

    def kick(self) -> None:
        self._idle.clear()
        self._kick.set()

    def prioritize(self, sources: Iterable[Source]) -> None:
        with self._lock:
            self._urgent.extend(sources)
        self.kick()

    def wait_idle(self, timeout: float) -> bool:
        """True once the current pass is done (False after `timeout` seconds)."""
        return self._idle.wait(timeout)

    def stop(self, timeout: float = 1.0) -> None:
        self._stop.set()
        self._kick.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        _lower_priority()
        while not self._stop.is_set():
            self._kick.wait()
            self._kick.clear()
            if self._stop.is_set():
                break
            try:
                self._pass()
            except Exception as exc:  # the night goes on without the library; the error is kept
                self.error = f"{type(exc).__name__}: {exc}"
            self.passes += 1
            if not self._kick.is_set():
                self._idle.set()

    def _pass(self) -> None:
        full = self._last_full is None or time.monotonic() - self._last_full >= self.refresh_s
        queue = self._everything() if full else []
        with CodeIndex(self.library.index_path) as index:
            done: set[str] = set()
            while not self._stop.is_set():
                source = self._next(queue, done)
                if source is None:
                    if full:
                        self._last_full = time.monotonic()
                    return
                done.add(source.name)
                self._index(index, source)

    def _everything(self) -> list[Source]:
        """Every source, the repositories found under the plan's roots first."""
        plan = self._plan()
        found = discover(plan.roots, exclude=plan.exclude)
        skip = {p.resolve() for p in plan.skip}
        repos = [p for p in found.repos if p.resolve() not in skip]
        return self.library.add(repos, "repo") + self.library.sources(("site", "clone"))

    def _next(self, queue: list[Source], done: set[str]) -> Source | None:
        with self._lock:
            while self._urgent:
                source = self._urgent.pop(0)
                if source.name not in done:
                    return source
        return next((s for s in queue if s.name not in done), None)

    def _index(self, index: CodeIndex, source: Source) -> None:
        if not source.path.exists():
            self.library.forget(source.name)
            return
        started = time.monotonic()
        index.update(source.name, source.path)
        self.library.mark_indexed(source.name, index.file_count(source.name), time.monotonic() - started)


def _lower_priority() -> None:
    """Indexing is background work: give this thread a lower CPU priority where the OS can."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except (AttributeError, OSError):
        pass
