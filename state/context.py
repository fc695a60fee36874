"""Run-time choices given to the graph as its `context_schema`: target, models per role, policy switches."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

RYX_ROOT = Path(__file__).resolve().parent.parent
AUTO = "auto"


def default_target() -> Path:
    """The target when none is named, for every command alike: the git repository the current
    folder is in, else Ryx's own."""
    here = Path.cwd().resolve()
    return next((p for p in (here, *here.parents) if (p / ".git").exists()), RYX_ROOT)


def default_db() -> str:
    """checkpoints/ryx.sqlite in Ryx's own tree, or under RYX_HOME when that is set."""
    home = os.environ.get("RYX_HOME")
    base = Path(home).expanduser() / "checkpoints" if home else RYX_ROOT / "checkpoints"
    return str(base / "ryx.sqlite")


@dataclass(frozen=True, kw_only=True)
class Context:
    """Everything a node needs to know about this run besides the state.

    Model fields are `provider:model` specs resolved by ryx.models (e.g. `ollama:phi4:14b`,
    `embedded:smollm2`, `replay:/path/to/file.jsonl`), or `auto`: what the CLI would choose
    (the target's [models], on Ollama if it answers, else the embedded model). Studio shows and
    edits these fields; the CLI always passes resolved specs.
    """

    target: str = str(RYX_ROOT)
    db: str = ""
    intent_model: str = AUTO
    reasoning_model: str = AUTO
    coding_model: str = AUTO
    supervisor_model: str = ""
    auto: bool = False
    interactive: bool = True
    offline: bool = False
    sandbox: bool = True  # False only on the user's explicit --no-sandbox

    def model_spec(self, role: str) -> str:
        return getattr(self, f"{role}_model")

    def specs(self) -> dict[str, str]:
        roles = ("intent", "reasoning", "coding", "supervisor")
        return {r: self.model_spec(r) for r in roles if self.model_spec(r)}

    @property
    def db_path(self) -> str:
        return self.db or default_db()
