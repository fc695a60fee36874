"""The model memory budget, over real HTTP to an Ollama-protocol server that reports sizes:
what stays resident together, what is unloaded, what is refused, and a whole cycle's record."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import pytest
from fake_ollama import FakeOllama
from loop_helpers import BENCH, CALC, RYX_ROOT, cli_env, make_target, sr

from ryx.budget import SizeBook
from ryx.config import load_config
from ryx.errors import ConfigError
from ryx.models import ModelPool, ModelSettings, ModelTooBig, resolve_specs

SIZES = {"phi4:14b": 9.1, "qwen2.5-coder:14b": 9.0, "qwen2.5:3b": 1.9}


def pool_for(server: FakeOllama, sizes: SizeBook | None = None, **settings: object) -> ModelPool:
    config = ModelSettings(ollama_url=server.url, **settings)  # type: ignore[arg-type]
    return ModelPool(resolve_specs("ollama", {}, None, config), config, sizes=sizes)


def resident_gb(server: FakeOllama) -> float:
    return round(sum(SIZES.get(m, 0) for m in server.loaded), 2)


def call(pool: ModelPool, role: str) -> None:
    pool.for_role(role).invoke("hi")
    pool.after_call()


def test_a_ten_gb_budget_holds_one_fourteen_b_at_a_time() -> None:
    with FakeOllama(sizes_gb=SIZES) as server:
        pool = pool_for(server, vram_gb=10)
        for role in ("intent", "reasoning", "coding", "reasoning", "intent"):
            call(pool, role)
            assert resident_gb(server) <= 10, server.loaded
        assert server.loaded == {"qwen2.5:3b"}


def test_models_that_fit_stay_together_and_the_intent_model_goes_first() -> None:
    with FakeOllama(sizes_gb=SIZES) as server:
        pool = pool_for(server, vram_gb=16)
        call(pool, "intent")
        call(pool, "reasoning")
        assert server.loaded == {"qwen2.5:3b", "phi4:14b"}  # 11 GB: the 3B beside a 14B
        call(pool, "coding")
        assert server.loaded == {"qwen2.5-coder:14b"}  # 18.1 GB would not fit: both made room
        call(pool, "intent")
        assert server.loaded == {"qwen2.5-coder:14b", "qwen2.5:3b"}
        unloads = [b["model"] for b in server.bodies("/api/generate") if b["keep_alive"] == 0]
        assert unloads == ["qwen2.5:3b", "phi4:14b"]


def test_a_model_larger_than_the_budget_is_refused_naming_a_smaller_tag() -> None:
    with FakeOllama(models=[*SIZES, "qwen2.5-coder:7b"], sizes_gb={**SIZES, "qwen2.5-coder:7b": 4.7}) as server:
        pool = pool_for(server, vram_gb=8)
        with pytest.raises(ModelTooBig, match="qwen2.5-coder:14b takes about 9.0 GB.*such as qwen2.5-coder:7b"):
            pool.for_role("coding")
        assert server.bodies("/api/chat") == []


def test_sizes_are_measured_once_loaded_and_remembered(tmp_path: Path) -> None:
    with FakeOllama(sizes_gb={**SIZES, "qwen2.5:3b": 2.3}) as server:
        book = SizeBook(tmp_path / "sizes.json")
        assert book.size(server.url, "qwen2.5:3b") == 2.3  # estimated from the file before it ran
        server.sizes_gb["qwen2.5:3b"] = 2.0  # what it takes once loaded, this time
        call(pool_for(server, book, vram_gb=10), "intent")
    assert SizeBook(tmp_path / "sizes.json").get("qwen2.5:3b") == 2.0


def test_fit_together_and_explicit_cpu_offload(tmp_path: Path) -> None:
    with FakeOllama(sizes_gb=SIZES) as server:
        assert not pool_for(server, vram_gb=10).fit_together("reasoning", "coding")
        assert pool_for(server, vram_gb=10).fit_together("reasoning", "supervisor")  # one model
        assert pool_for(server, vram_gb=20).fit_together("reasoning", "coding", "intent")
        offload = pool_for(server, vram_gb=10, num_gpu=20, ram_gb=10)
        assert offload.fit_together("reasoning", "coding")
        call(offload, "coding")
        assert server.bodies("/api/chat")[-1]["options"]["num_gpu"] == 20
        call(pool_for(server, vram_gb=10), "coding")
        assert "num_gpu" not in server.bodies("/api/chat")[-1]["options"]  # never by accident
    (tmp_path / "ryx.toml").write_text("[models]\nram_gb = 8\n")
    with pytest.raises(ConfigError, match="needs `models.num_gpu`"):
        load_config(tmp_path)


def test_a_nine_attempt_cycle_stays_in_budget_and_swaps_three_times_at_most(tmp_path: Path) -> None:
    config = '[tool.pytest.ini_options]\nmarkers = ["points(n, category): p"]\n\n[tool.ryx.models]\nvram_gb = 10\nsamples = 1\n'
    target = make_target(tmp_path / "proj", {"calc.py": CALC, "benchmark/test_calc.py": BENCH,
                                              "pyproject.toml": config})
    tries = itertools.count(1)
    with FakeOllama(sizes_gb=SIZES) as server:
        server.script("qwen2.5-coder:14b", lambda body: sr("calc.py", "    return a - b",
                                                           f"    return a * b + {next(tries)}"))
        server.script("*", "add subtracts; it should add.")
        env = {**cli_env(tmp_path / "home"), "OLLAMA_HOST": server.url}
        result = subprocess.run([sys.executable, "-m", "graph.run", "--target", str(target), "--provider", "ollama",
                                 "--offline", "--db", str(tmp_path / "db.sqlite")], capture_output=True, text=True,
                                env=env, cwd=RYX_ROOT, timeout=300, stdin=subprocess.DEVNULL)
        record = list(server.requests)
        status = subprocess.run([sys.executable, "-m", "graph.cli", "status", "--target", str(target), "--db",
                                 str(tmp_path / "db.sqlite")], capture_output=True, text=True, env=env, cwd=RYX_ROOT)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "escalated" in result.stdout and next(tries) == 10  # nine attempts, then the ticket
    resident, loads, peak, roles = set(), [], 0.0, set()
    for path, body in record:
        if path == "/api/chat":
            roles.add(body["model"])
            if body["model"] not in resident:
                loads.append(body["model"])
                resident.add(body["model"])
        elif path == "/api/generate" and body.get("keep_alive") == 0:
            resident.discard(body["model"])
        peak = max(peak, sum(SIZES[m] for m in resident))
    assert peak <= 10, f"{peak} GB resident at once"
    assert loads == ["phi4:14b", "qwen2.5-coder:14b", "phi4:14b"], loads  # reasoning, coding, supervisor
    assert "planned ahead" in result.stdout
    assert "model loads: 3 in 1 cycle(s), 3.0 a cycle (goal: at most 3, the roles used); 2 unload(s)" in status.stdout
    assert "  coding: " in status.stdout and "in 9 call(s), 45 tokens in" in status.stdout
    assert "0.2 s loading" in status.stdout


def test_models_table_sets_context_keep_alive_and_timeout(tmp_path: Path) -> None:
    from loop_helpers import FIX

    config = ('[tool.pytest.ini_options]\nmarkers = ["points(n, category): p"]\n\n[tool.ryx.models]\n'
              'num_ctx = 4096\nkeep_alive = "2m"\ntimeout_s = 0.5\n')
    target = make_target(tmp_path / "proj", {"calc.py": CALC, "benchmark/test_calc.py": BENCH, "pyproject.toml": config})
    with FakeOllama(delay_s=0.0) as server:
        server.script("qwen2.5-coder:14b", FIX)
        server.script("*", "add subtracts; it should add.")
        env = {**cli_env(tmp_path / "home"), "OLLAMA_HOST": server.url}
        result = subprocess.run([sys.executable, "-m", "graph.run", "--target", str(target), "--provider", "ollama",
                                 "--offline", "--db", str(tmp_path / "db.sqlite")], capture_output=True, text=True,
                                env=env, cwd=RYX_ROOT, timeout=300, stdin=subprocess.DEVNULL)
        chats = server.bodies("/api/chat")
    assert result.returncode == 0, result.stderr + result.stdout
    assert {c["options"]["num_ctx"] for c in chats} == {4096} and {c["keep_alive"] for c in chats} == {"2m"}
    (tmp_path / "proj" / "ryx.toml").write_text("[models]\ntimeout_s = 0\n")
    with pytest.raises(ConfigError, match="timeout_s` must be more than 0"):
        load_config(tmp_path / "proj")
