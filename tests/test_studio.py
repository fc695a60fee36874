"""`langgraph dev` serves the graph from langgraph.json (a real server on a free port)."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

RYX_ROOT = Path(__file__).resolve().parent.parent
EXPECTED_NODES = {"route", "benchmark", "pick_weakness", "local_research", "online_research",
                  "rethink", "patch", "verify", "land", "escalate"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _langgraph_cli() -> str:
    exe = Path(sys.executable).with_name("langgraph")
    found = str(exe) if exe.exists() else shutil.which("langgraph")
    if not found:
        pytest.fail("langgraph CLI missing: pip install -e '.[studio]' (langgraph-cli[inmem])")
    return found


async def _graph_nodes(url: str) -> tuple[list[str], set[str]]:
    from langgraph_sdk import get_client

    client = get_client(url=url)
    assistants = await client.assistants.search(graph_id="ryx")
    drawn = await client.assistants.get_graph(assistants[0]["assistant_id"])
    return [a["graph_id"] for a in assistants], {n["id"] for n in drawn["nodes"]}


def _wait_until_up(proc: subprocess.Popen, port: int, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"langgraph dev exited early:\n{log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.5)
    pytest.fail("langgraph dev did not start listening in time")


def _stop(proc: subprocess.Popen) -> None:
    """Stop the server by its process id (its whole process group)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def test_langgraph_dev_serves_the_graph(tmp_path):
    port = _free_port()
    env = {**os.environ, "LANGSMITH_TRACING": "false", "LANGGRAPH_CLI_NO_ANALYTICS": "1",
           "RYX_HOME": str(tmp_path)}
    log = tmp_path / "langgraph-dev.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([_langgraph_cli(), "dev", "--port", str(port), "--no-browser", "--no-reload"],
                                cwd=RYX_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        _wait_until_up(proc, port, log)
        graphs, nodes = asyncio.run(_graph_nodes(f"http://127.0.0.1:{port}"))
    finally:
        _stop(proc)
    assert graphs == ["ryx"]
    assert EXPECTED_NODES <= nodes
