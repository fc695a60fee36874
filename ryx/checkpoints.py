"""The one SQLite file: LangGraph's SqliteSaver (checkpoints) and SqliteStore (memory).

Opening it checks that it is a healthy database and that no other run holds it; both
failures get a message that says what to do. Finished cycles' old checkpoints are pruned.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.store.sqlite import SqliteStore

from ryx.errors import UsageError


@dataclass
class Database:
    path: Path
    saver: SqliteSaver
    store: SqliteStore


def _connect(path: Path, **kwargs) -> sqlite3.Connection:
    conn = sqlite3.connect(path, check_same_thread=False, timeout=10, **kwargs)
    try:
        status = conn.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise _corrupt(path, str(exc)) from exc
    if status != "ok":
        conn.close()
        raise _corrupt(path, status)
    return conn


def _corrupt(path: Path, detail: str) -> UsageError:
    return UsageError(
        f"checkpoint database {path} is damaged ({detail}). Nothing in your repository is "
        f"affected. Move it aside (mv {path} {path}.corrupt) to start fresh, or pass --db FILE."
    )


@contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """One run per database: a second one gets a clear error instead of 'database is locked'."""
    lock_path = path.with_suffix(".lock")
    fh = open(lock_path, "a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        raise UsageError(
            f"checkpoint database {path} is in use by another Ryx run. Stop it with "
            "`ryx stop all`, wait for it to finish, or pass --db FILE for a separate run."
        ) from None
    try:
        fh.seek(0), fh.truncate(), fh.write(str(os.getpid())), fh.flush()
        yield
    finally:
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


@contextmanager
def open_database(path: str | Path, *, exclusive: bool = True) -> Iterator[Database]:
    """The checkpointer and store on one file; `exclusive` for runs, not for `ryx status`."""
    db = Path(path).expanduser().resolve()
    db.parent.mkdir(parents=True, exist_ok=True)
    guard = _exclusive(db) if exclusive else _nothing()
    with guard:
        conn = _connect(db)
        store_conn = _connect(db, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            saver = SqliteSaver(conn)
            store = SqliteStore(store_conn)
            saver.setup()
            store.setup()
            yield Database(db, saver, store)
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc):
                raise UsageError(f"checkpoint database {db} is locked by another process ({exc}); "
                                 "stop the other Ryx run or pass --db FILE.") from exc
            raise
        finally:
            conn.close()
            store_conn.close()


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def prune_thread(saver: SqliteSaver, thread_id: str, keep: int = 1) -> int:
    """Delete all but the newest `keep` checkpoints of a thread (call between cycles)."""
    with saver.cursor() as cur:
        cur.execute(
            "SELECT checkpoint_id FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = '' "
            "ORDER BY checkpoint_id DESC", (thread_id,))
        ids = [row[0] for row in cur.fetchall()]
        old = ids[keep:]
        for cid in old:
            cur.execute("DELETE FROM checkpoints WHERE thread_id = ? AND checkpoint_id = ?", (thread_id, cid))
            cur.execute("DELETE FROM writes WHERE thread_id = ? AND checkpoint_id = ?", (thread_id, cid))
    return len(old)
