"""While a model generates, a terminal shows the role, the model and a live token count; a
pipe gets only the loop's one line per step. The run is real, on a pseudo-terminal."""

from __future__ import annotations

import subprocess
import sys

from fake_ollama import FakeOllama
from loop_helpers import FIX, RYX_ROOT, cli_env, make_target
from procs import on_a_terminal


def test_a_terminal_sees_tokens_counted_while_the_model_writes_and_a_pipe_does_not(tmp_path):
    target = make_target(tmp_path / "proj")
    with FakeOllama(chunk_delay_s=0.1) as server:
        server.script("qwen2.5-coder:14b", FIX)
        server.script("*", "add subtracts; make it add.")
        env = {**cli_env(tmp_path / "home"), "OLLAMA_HOST": server.url}
        cmd = [sys.executable, "-m", "graph.run", "--target", str(target), "--provider", "ollama", "--offline",
               "--db", str(tmp_path / "db.sqlite")]
        code, shown = on_a_terminal(cmd, env)
        piped = subprocess.run([*cmd[:-1], str(tmp_path / "db2.sqlite")], capture_output=True, text=True,
                               env=env, cwd=RYX_ROOT, timeout=120, stdin=subprocess.DEVNULL)
    assert code == 0, shown
    assert "coding (ollama:qwen2.5-coder:14b): waiting for the first token" in shown
    assert "coding (ollama:qwen2.5-coder:14b): 1" in shown and " tokens, " in shown
    assert "\r\x1b[K" in shown
    assert piped.returncode == 0, piped.stderr
    assert "tokens," not in piped.stdout + piped.stderr and "\x1b[K" not in piped.stdout + piped.stderr


def test_a_long_benchmark_shows_tests_done_of_allon_a_terminal(tmp_path):
    slow = "import time\n\nimport pytest\n\n" + "".join(
        f"\n\n@pytest.mark.points(1, category='slow')\ndef test_{i}():\n    time.sleep(0.7)\n" for i in range(4))
    target = make_target(tmp_path / "proj", {"benchmark/test_slow.py": slow, "pyproject.toml":
                                              '[tool.pytest.ini_options]\nmarkers = ["points(n, category): p"]\n'})
    code, shown = on_a_terminal([sys.executable, "-m", "graph.cli", "benchmark", "--target", str(target),
                                  "--no-save"], cli_env(tmp_path / "home"))
    assert code == 0, shown
    assert "/4 tests, " in shown and any(f"{n}/4 tests" in shown for n in (1, 2, 3)), shown
    assert "4/4" in shown.replace(" ", "") or "slow" in shown  # the table follows the live line
