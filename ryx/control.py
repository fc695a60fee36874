"""Stopping and run registration: what `ryx stop all` and `ryx status` act on.

A run registers itself (pid, target, db, models) in RYX_HOME/runs; a stop request is a file
beside the checkpoint database, checked by `route` at the start of every cycle, plus a
SIGTERM to the run's process, which kills its benchmark process group on the way out.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any


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
