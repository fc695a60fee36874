"""Stopping and run registration: what `ryx stop all` and `ryx status` act on.

A run registers itself (pid, target, db, models) in RYX_HOME/runs; a stop request is a file
beside the checkpoint database, checked by `route` at the start of every cycle, plus a
SIGTERM to the run's process, which kills its benchmark process group on the way out.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_LOADED_LOCK = threading.Lock()
_SERVED = False  # this process serves the graph to LangGraph Studio


def ryx_home() -> Path:
    return Path(os.environ.get("RYX_HOME", "~/.local/state/ryx")).expanduser()


def stop_file(db_path: str) -> Path:
    return Path(db_path).with_suffix(".stop")


def stop_requested(db_path: str) -> bool:
    return stop_file(db_path).exists()


def request_stop(db_path: str) -> None:
    path = stop_file(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("stop requested by `ryx stop all`\n")


def clear_stop(db_path: str) -> None:
    stop_file(db_path).unlink(missing_ok=True)


def _runs_dir() -> Path:
    path = ryx_home() / "runs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def register_run(info: dict[str, Any]) -> Path:
    path = _runs_dir() / f"{os.getpid()}.json"
    path.write_text(json.dumps({**info, "pid": os.getpid()}))
    return path


def unregister_run() -> None:
    (_runs_dir() / f"{os.getpid()}.json").unlink(missing_ok=True)


def is_registered() -> bool:
    return (_runs_dir() / f"{os.getpid()}.json").exists()


@contextmanager
def registered(kind: str, target: str, db: str, **info: Any) -> Iterator[None]:
    """This process is a run of `kind` (improve, benchmark, studio) for `ryx stop all`."""
    register_run({"kind": kind, "target": target, "db": db, **info})
    try:
        yield
    finally:
        unregister_run()


def mark_served() -> None:
    """Called by the module LangGraph Studio loads: runs of this process register themselves."""
    global _SERVED
    _SERVED = True


def register_served(target: str, db: str, models: dict[str, str]) -> None:
    """A graph run inside `langgraph dev` registers its server process once, until it exits."""
    if _SERVED and not is_registered():
        register_run({"kind": "studio", "target": target, "db": db, "models": models})
        atexit.register(unregister_run)


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """`ryx stop all` sends SIGTERM: raise KeyboardInterrupt instead, so cleanup runs."""
    def _raise(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _loaded_file() -> Path:
    return ryx_home() / "loaded-models.json"


def note_loaded(url: str, name: str) -> None:
    """Remember that a run asked Ollama at `url` to load `name` (so `stop all` unloads it,
    even after the run itself was killed)."""
    with _LOADED_LOCK:
        noted = loaded_noted()
        if name in noted.get(url, []):
            return
        noted[url] = sorted({*noted.get(url, []), name})
        path = _loaded_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(noted))
        tmp.replace(path)


def loaded_noted() -> dict[str, list[str]]:
    try:
        data = json.loads(_loaded_file().read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): [str(n) for n in v] for k, v in data.items() if isinstance(v, list)}


def forget_loaded() -> None:
    _loaded_file().unlink(missing_ok=True)


def live_runs() -> list[dict[str, Any]]:
    """Registered runs whose process is still alive (stale entries are removed)."""
    runs = []
    for path in sorted(_runs_dir().glob("*.json")):
        try:
            info = json.loads(path.read_text())
            os.kill(int(info["pid"]), 0)
        except (ValueError, KeyError, OSError):
            path.unlink(missing_ok=True)
            continue
        runs.append(info)
    return runs


def signal_run(pid: int) -> bool:
    try:
        os.kill(pid, signal.SIGTERM)
        return True
    except OSError:
        return False
