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


def test_ryx_studio_runs_resolve_models_like_the_cli_and_stop_all_stops_them(tmp_path):
    from fake_ollama import FakeOllama
    from loop_helpers import FIX, make_target

    target = make_target(tmp_path / "proj")
    home, port = tmp_path / "home", _free_port()
    replied = []

    def slow_fix(body: dict) -> str:
        replied.append(time.monotonic())
        time.sleep(40)  # the run is busy in the coding model when `stop all` comes
        return FIX

    with FakeOllama() as server:
        server.script("qwen2.5-coder:14b", slow_fix)
        server.script("*", "add subtracts; make it add.")
        env = _studio_env(home, server.url)
        proc, log = _ryx_studio(tmp_path, port, env)
        try:
            _wait_until_up(proc, port, log)
            asyncio.run(_start_run(f"http://127.0.0.1:{port}", {"target": str(target), "interactive": False}))
            deadline = time.monotonic() + 120
            while not replied and time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.2)
            assert replied, log.read_text()[-3000:]
            loaded_during = set(server.loaded)
            stop = subprocess.run([sys.executable, "-m", "graph.cli", "stop", "all"], capture_output=True, text=True,
                                  env=env, cwd=RYX_ROOT, timeout=60)
            proc.wait(timeout=30)
            loaded_after = set(server.loaded)
        finally:
            _stop(proc)
    shown = log.read_text()
    assert "Ryx in LangGraph Studio: https://smith.langchain.com/studio/?baseUrl=http://127.0.0.1:" in shown
    assert "models: Ollama at" in shown  # `auto`, resolved as the CLI does
    assert "qwen2.5-coder:14b" in loaded_during
    assert stop.returncode == 0 and "stopped 1 run(s): studio" in stop.stdout, stop.stdout + stop.stderr
    assert loaded_after == set()
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert str(target) not in ps and f"--port {port}" not in ps
    assert (home / "checkpoints" / "research").is_dir()  # outside the tree langgraph dev watches


def _studio_env(home: Path, ollama_url: str) -> dict[str, str]:
    return {**os.environ, "LANGSMITH_TRACING": "false", "LANGGRAPH_CLI_NO_ANALYTICS": "1",
            "RYX_HOME": str(home), "HOME": str(home), "OLLAMA_HOST": ollama_url}


def _ryx_studio(tmp_path: Path, port: int, env: dict[str, str]) -> tuple[subprocess.Popen, Path]:
    """`ryx studio` on `port`, its output in studio.log; (the process, the log)."""
    log = tmp_path / "studio.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "graph.cli", "studio", "--port", str(port)], cwd=RYX_ROOT,
                                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    return proc, log


async def _start_run(url: str, context: dict) -> None:
    from langgraph_sdk import get_client

    client = get_client(url=url)
    thread = await client.threads.create()
    await client.runs.create(thread["thread_id"], "ryx", input={}, context=context)


@pytest.mark.slow
def test_a_studio_run_without_ollama_completes_on_the_embedded_model(tmp_path):
    from loop_helpers import make_target

    target = make_target(tmp_path / "proj")
    home, port = tmp_path / "home", _free_port()
    proc, log = _ryx_studio(tmp_path, port, _studio_env(home, f"http://127.0.0.1:{_free_port()}"))
    try:
        _wait_until_up(proc, port, log)
        final = asyncio.run(_wait_run(f"http://127.0.0.1:{port}", {"target": str(target), "interactive": False}))
    finally:
        _stop(proc)
    shown = log.read_text()
    assert "models: no Ollama at" in shown and "using the embedded model SmolLM2-135M" in shown, shown[-3000:]
    assert final["outcome"]["kind"] in ("landed", "escalated"), final.get("outcome")
    assert final["baseline"]["total"] == 2 and final["attempts"]


async def _wait_run(url: str, context: dict) -> dict:
    from langgraph_sdk import get_client

    client = get_client(url=url, timeout=1800)
    thread = await client.threads.create()
    return await client.runs.wait(thread["thread_id"], "ryx", input={}, context=context)
