"""Running one contained command: its own session, a deadline, bounded output, a results channel.

Whatever happens (the command ends, runs past its time, or Ctrl-C reaches Ryx), its whole
process group is killed; inside the sandbox that takes its PID namespace, every process it
started, down with it. Output is read through pipes and only a bounded tail is kept, so a
command that prints gigabytes fills neither memory nor the disk. The results channel is a
pipe the command writes to through `/dev/fd/N`: what arrives is append-only to Ryx.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

OUTPUT_TAIL = 8000
CHANNEL_LIMIT = 64 * 1024 * 1024
STDOUT_LIMIT = 16 * 1024 * 1024
AFTER_EXIT_S = 1.0
PROGRESS_S = 0.5  # how often a watcher of the channel is told what came


@dataclass(frozen=True)
class Launch:
    """A command ready to start: argv, working folder, complete environment."""

    argv: list[str]
    cwd: str
    env: Mapping[str, str]


@dataclass(frozen=True)
class Finished:
    returncode: int
    timed_out: bool
    output: str  # the tail of what it printed (stderr only, when stdout was kept apart)
    stdout: str = ""  # all of stdout, when asked for (keep_stdout)
    channel: str = ""  # everything written to the results channel
    overflow: tuple[str, ...] = ()  # streams that went past their limit


@dataclass
class _Sink:
    limit: int
    tail: bool
    data: bytearray = field(default_factory=bytearray)
    overflow: bool = False

    def add(self, chunk: bytes) -> None:
        self.data += chunk
        if len(self.data) > self.limit:
            self.overflow = True
            self.data = self.data[-self.limit:] if self.tail else self.data[: self.limit]

    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


class Channel:
    """A pipe whose write end the command inherits: open it as `self.path` inside."""

    def __init__(self) -> None:
        self.read_fd, self.fd = os.pipe()

    @property
    def path(self) -> str:
        return f"/dev/fd/{self.fd}"

    def close(self) -> None:
        for fd in (self.read_fd, self.fd):
            try:
                os.close(fd)
            except OSError:
                pass


def run(launch: Launch, *, timeout: float, channel: Channel | None = None,
        keep_stdout: bool = False, on_channel: Callable[[str], None] | None = None) -> Finished:
    """Run the command to its end or its deadline; kill its process group either way.
    `on_channel` sees the channel's text so far as it grows (at most every PROGRESS_S)."""
    passed = (channel.fd,) if channel else ()
    proc = subprocess.Popen(launch.argv, cwd=launch.cwd, env=dict(launch.env),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE if keep_stdout else subprocess.STDOUT,
                            start_new_session=True, pass_fds=passed)
    if channel:
        os.close(channel.fd)
    sinks = _sinks(proc, channel, keep_stdout)
    try:
        timed_out = _pump(proc, sinks, time.monotonic() + timeout, on_channel)
    finally:
        _kill_group(proc.pid)
        proc.wait()
        _drain(sinks)
        _close(proc, channel)
    out, err, chan = (sinks[k][1] if k in sinks else None for k in ("stdout", "stderr", "channel"))
    output = (err if keep_stdout else out).text()[-OUTPUT_TAIL:]
    return Finished(proc.returncode, timed_out, output, out.text() if keep_stdout else "",
                    chan.text() if chan else "",
                    tuple(name for name, sink in _named(sinks) if sink.overflow))


def _sinks(proc: subprocess.Popen, channel: Channel | None, keep_stdout: bool) -> dict:
    sinks: dict = {"stdout": (proc.stdout.fileno(), _Sink(STDOUT_LIMIT if keep_stdout else OUTPUT_TAIL * 8,
                                                          tail=not keep_stdout))}
    if keep_stdout:
        sinks["stderr"] = (proc.stderr.fileno(), _Sink(OUTPUT_TAIL * 8, tail=True))
    if channel:
        sinks["channel"] = (channel.read_fd, _Sink(CHANNEL_LIMIT, tail=False))
    for fd, _ in sinks.values():
        os.set_blocking(fd, False)
    return sinks


def _named(sinks: dict):
    return [(name, sink) for name, (_, sink) in sinks.items()]


def _pump(proc: subprocess.Popen, sinks: dict, deadline: float,
          on_channel: Callable[[str], None] | None = None) -> bool:
    """Read the pipes until the command ends (True when it ran past the deadline). Once it
    has ended, what it left in the pipes is read for at most AFTER_EXIT_S more."""
    open_fds = {fd: sink for fd, sink in sinks.values()}
    channel_fd = sinks["channel"][0] if "channel" in sinks and on_channel else None
    told = 0.0
    while open_fds:
        now = time.monotonic()
        if now >= deadline:
            return proc.poll() is None
        if proc.poll() is not None:
            deadline = min(deadline, now + AFTER_EXIT_S)
        ready, _, _ = select.select(list(open_fds), [], [], min(deadline - now, 0.2))
        for fd in ready:
            if not _read_into(fd, open_fds[fd]):
                del open_fds[fd]
        if channel_fd in ready and time.monotonic() - told >= PROGRESS_S:
            told = time.monotonic()
            on_channel(sinks["channel"][1].text())
        if proc.poll() is not None and not ready:
            return False
    try:
        proc.wait(timeout=max(deadline - time.monotonic(), 0))
        return False
    except subprocess.TimeoutExpired:
        return True


def _read_into(fd: int, sink: _Sink) -> bool:
    """Read what is there; False at end of file."""
    try:
        chunk = os.read(fd, 65536)
    except BlockingIOError:
        return True
    if not chunk:
        return False
    sink.add(chunk)
    return True


def _drain(sinks: dict) -> None:
    for fd, sink in sinks.values():
        try:
            while _read_into(fd, sink):
                if not select.select([fd], [], [], 0)[0]:
                    break
        except OSError:
            pass


def _close(proc: subprocess.Popen, channel: Channel | None) -> None:
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()
    if channel:
        channel.close()


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass

