"""Finding processes by a marker in their command line, from the host's /proc (a sandboxed
process has another pid inside its namespace, but the host sees it too)."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time
from pathlib import Path

RYX_ROOT = Path(__file__).resolve().parent.parent


def processes_with(marker: str) -> list[int]:
    """Live (not zombie) processes whose command line contains `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if marker in cmdline and state != "Z" and "procs.py" not in cmdline:
            found.append(int(entry.name))
    return found


def wait_for_process(marker: str, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if processes_with(marker):
            return True
        time.sleep(0.05)
    return False


def none_left(marker: str, grace_s: float = 3.0) -> bool:
    """No process with `marker` remains `grace_s` after a kill was sent."""
    deadline = time.monotonic() + grace_s
    while processes_with(marker):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def on_a_terminal(cmd: list[str], env: dict[str, str], timeout: float = 120, cwd: Path | None = None,
                  typing: bool = False) -> tuple[int, str]:
    """Run `cmd` with a pseudo-terminal as its stdout and stderr, and as its stdin too with
    `typing` (nobody types: a question would wait until the timeout); (exit code, what it showed)."""
    leader, follower = pty.openpty()
    stdin = follower if typing else subprocess.DEVNULL
    proc = subprocess.Popen(cmd, stdin=stdin, stdout=follower, stderr=follower, env=env, cwd=cwd or RYX_ROOT)
    os.close(follower)
    out, deadline = b"", time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.5)
        if ready:
            try:
                data = os.read(leader, 65536)
            except OSError:
                break
            if not data:
                break
            out += data
        elif proc.poll() is not None:
            break
    os.close(leader)
    return proc.wait(timeout=30), out.decode(errors="replace")
