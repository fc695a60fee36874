"""The loop over real HTTP to an Ollama-protocol server started by the test; `ryx stop all`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from fake_ollama import FakeOllama
from loop_helpers import BENCH, CALC, FIX, PYPROJECT, RYX_ROOT, cli_env, git, make_target

CODER, REASONER = "qwen2.5-coder:14b", "phi4:14b"


def _ollama_run(target, tmp_path, server, *extra):
    env = {**cli_env(tmp_path / "home"), "OLLAMA_HOST": server.url}
    args = ["--target", str(target), "--provider", "ollama", "--offline", "--db", str(tmp_path / "db.sqlite"), *extra]
    return env, [sys.executable, "-m", "graph.run", *args]


def test_a_fix_through_ollama_lands_and_models_are_unloaded_after(tmp_path):
    target = make_target(tmp_path / "proj")
    with FakeOllama() as server:
        server.script(CODER, FIX)
        server.script("*", "add subtracts; make it add.")
        env, cmd = _ollama_run(target, tmp_path, server)
        result = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=RYX_ROOT, timeout=120)
        chats = server.bodies("/api/chat")
        loaded_after = set(server.loaded)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "models: Ollama at" in result.stdout
    assert git(target, "rev-list", "--count", "main..ryx/improve").strip() == "1"
    assert [c["model"] for c in chats][:2] == [REASONER, REASONER]
    assert chats[-2]["model"] == CODER and chats[-1]["model"] == REASONER  # the patch, then its review
    assert all(c["options"]["num_ctx"] == 8192 for c in chats)
    assert loaded_after == set()


def test_stop_all_stops_the_run_unloads_models_and_keeps_the_checkpoint(tmp_path):
    slow = BENCH.replace("def test_mul_zero():", "def test_mul_zero():\n    if add(1, 1) == 2:  # only the fixed candidate is slow\n        import time; time.sleep(20)")
    target = make_target(tmp_path / "proj", {"calc.py": CALC, "benchmark/test_calc.py": slow,
                                              "pyproject.toml": PYPROJECT})
    with FakeOllama() as server:
        server.script(CODER, FIX)
        server.script("*", "add subtracts; make it add.")
        env, cmd = _ollama_run(target, tmp_path, server, "--infinite")
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                env=env, cwd=RYX_ROOT, start_new_session=True)
        try:
            lines = _read_until(proc, "patch applied")
            assert CODER in server.loaded
            stop = subprocess.run([sys.executable, "-m", "graph.cli", "stop", "all"], capture_output=True,
                                  text=True, env=env, cwd=RYX_ROOT, timeout=60)
            rest = proc.communicate(timeout=60)[0]
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
        loaded_after = set(server.loaded)
    assert stop.returncode == 0, stop.stderr
    assert "stopped 1 run(s)" in stop.stdout
    assert proc.returncode == 130, "".join(lines) + rest
    assert loaded_after == set()
    assert git(target, "rev-list", "--count", "main..ryx/improve").strip() == "0"
    assert _no_pytest_left(target)


def _read_until(proc: subprocess.Popen, marker: str, timeout: float = 90) -> list[str]:
    lines, deadline = [], time.monotonic() + timeout
    for line in proc.stdout:
        lines.append(line)
        if marker in line or time.monotonic() > deadline:
            break
    assert any(marker in ln for ln in lines), "".join(lines)
    return lines


def _no_pytest_left(target) -> bool:
    """No benchmark process of this target survives the stop."""
    time.sleep(0.5)
    out = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    return str(target) not in out and "ryx/worktree" not in out
