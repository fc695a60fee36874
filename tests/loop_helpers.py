"""Real targets and real CLI runs for the loop's end-to-end tests (only model replies are scripted)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

RYX_ROOT = Path(__file__).resolve().parent.parent
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test User", "GIT_AUTHOR_EMAIL": "user@example.com",
    "GIT_COMMITTER_NAME": "Test User", "GIT_COMMITTER_EMAIL": "user@example.com",
}

CALC = '''def add(a, b):
    return a - b


def mul(a, b):
    return a * b
'''

BENCH = '''import pytest

from calc import add, mul


@pytest.mark.points(2, category="math")
def test_add():
    assert add(2, 3) == 5


@pytest.mark.points(1, category="math")
def test_mul():
    assert mul(2, 3) == 6


@pytest.mark.points(1, category="math")
def test_mul_zero():
    assert mul(0, 7) == 0
'''

PYPROJECT = '''[tool.pytest.ini_options]
markers = ["points(n, category): benchmark points"]
'''


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV, "GIT_OPTIONAL_LOCKS": "0"}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True, env=env).stdout


def make_target(root: Path, files: dict[str, str] | None = None) -> Path:
    """A committed git repo with calc.py (add is buggy) and a points benchmark."""
    root.mkdir(parents=True, exist_ok=True)
    files = files or {"calc.py": CALC, "benchmark/test_calc.py": BENCH, "pyproject.toml": PYPROJECT}
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    return root


def sr(path: str, search: str, replace: str) -> str:
    """A SEARCH/REPLACE reply the way a coding model writes one, with prose around it."""
    return (f"Here is the fix.\n\n{path}\n```python\n<<<<<<< SEARCH\n{search}\n=======\n"
            f"{replace}\n>>>>>>> REPLACE\n```\n")


FIX = sr("calc.py", "def add(a, b):\n    return a - b", "def add(a, b):\n    return a + b")


def replay_file(path: Path, lines: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    return path


def reasoning_lines() -> list[dict]:
    return [{"role": "reasoning", "content": "The add function subtracts; it should add."},
            {"role": "intent", "content": "math"},
            {"role": "supervisor", "content": "Ryx does not see that mul must stay a product."}]


def cli_env(home: Path) -> dict[str, str]:
    """The environment of a CLI run: its own RYX_HOME, and HOME there too, so the research
    library finds the test's repos, never the developer's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PYTEST_"))}
    env.update(RYX_HOME=str(home), HOME=str(home), PYTHONUNBUFFERED="1", OLLAMA_HOST="http://127.0.0.1:9")
    return env


def run_cli(args: list[str], home: Path, *, module: str = "graph.run", timeout: float = 240,
            cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True,
                          env={**cli_env(home), **(env or {})}, timeout=timeout, cwd=cwd or RYX_ROOT,
                          stdin=subprocess.DEVNULL)


def improve_args(target: Path, replay: Path, db: Path, *extra: str) -> list[str]:
    return ["--target", str(target), "--replay", str(replay), "--db", str(db), "--offline", *extra]


def user_view(repo: Path) -> dict[str, object]:
    """Everything of the user's that the loop must never change."""
    files = {str(p.relative_to(repo)): p.read_bytes() for p in sorted(repo.rglob("*"))
             if p.is_file() and ".git" not in p.relative_to(repo).parts and "__pycache__" not in p.parts}
    return {
        "branch": git(repo, "rev-parse", "--abbrev-ref", "HEAD"),
        "head": git(repo, "rev-parse", "HEAD"),
        "index": (repo / ".git" / "index").read_bytes(),
        "status": git(repo, "status", "--porcelain"),
        "files": files,
    }
