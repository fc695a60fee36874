"""What to run as a target's benchmark and under which limits (from ryx.toml)."""

from __future__ import annotations

import hashlib
import sys
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class BenchSpec:
    """How a target's points benchmark is collected and run.

    paths: test paths relative to the target root; empty means "plain pytest at the root,
    one point per test" (the mode for targets without points markers).
    command: a program that prints the scorecard JSON itself (instead of pytest).
    sandbox: run in bubblewrap (False only on the user's explicit `--no-sandbox`).
    """

    paths: tuple[str, ...] = ("benchmark",)
    test_timeout_s: float = 60.0
    run_timeout_s: float = 900.0
    memory_mb: int = 4096
    python: str | None = None
    command: str | None = None
    confirm_runs: int = 1
    protected: tuple[str, ...] = field(default_factory=tuple)
    plugin_autoload: bool | None = None
    sandbox: bool = True

    @property
    def autoload_plugins(self) -> bool:
        """Load installed pytest plugins? By default only under the target's own `python`:
        Ryx's interpreter holds Ryx's plugins (langsmith, anyio), which cost ~2 s a run."""
        return self.python is not None if self.plugin_autoload is None else self.plugin_autoload


def env_key(spec: BenchSpec) -> str:
    """What besides the tree decides a score: the interpreter and the benchmark's settings."""
    text = f"{sys.version}|{spec.python or sys.executable}|{sorted(asdict(spec).items())}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]
