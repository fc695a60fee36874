"""The replay provider: scripted model replies read from a JSONL file (DESIGN contract 5).

One line, one reply: `{"role": "coding", "match": "def add", "content": "...", "times": 1}`.
A call takes the first line whose role fits (or is `*`), whose `match` regex is found in the
text of the call's messages, and that has uses left. Blank lines and `#` lines are ignored.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict

from ryx.errors import ConfigError, RyxError

REPLAY_ROLES = ("intent", "reasoning", "coding", "supervisor", "*")
_KEYS = {"role", "match", "content", "times"}
PROMPT_PREVIEW = 120


class ReplayExhausted(RyxError):
    """No line of the replay file fits a call; the run stops with its checkpoint intact."""


@dataclass(frozen=True)
class ReplayLine:
    lineno: int
    role: str
    content: str
    match: re.Pattern[str] | None = None
    times: int | None = None

    def fits(self, role: str, text: str) -> bool:
        if self.role not in ("*", role):
            return False
        return self.match is None or self.match.search(text) is not None


def parse_line(raw: str, where: str, lineno: int) -> ReplayLine:
    """One JSONL line -> ReplayLine; ConfigError naming `file:line` and the problem."""
    def bad(problem: str) -> ConfigError:
        return ConfigError(f"replay file {where}, line {lineno}: {problem}")

    try:
        item = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise bad(f"not valid JSON ({exc.msg} at column {exc.colno}).") from exc
    if not isinstance(item, dict):
        raise bad('expected a JSON object like {"role": "coding", "content": "..."}.')
    if unknown := sorted(set(item) - _KEYS):
        raise bad(f"unknown key {unknown[0]!r}; the keys are role, match, content, times.")
    role = item.get("role")
    if role not in REPLAY_ROLES:
        raise bad(f"role {role!r} is not one of {', '.join(REPLAY_ROLES)}.")
    if not isinstance(item.get("content"), str):
        raise bad('"content" (the reply text, a string) is missing.')
    return ReplayLine(lineno, role, item["content"], _pattern(item, bad), _times(item, bad))


def _pattern(item: dict, bad: Any) -> re.Pattern[str] | None:
    match = item.get("match")
    if match is None:
        return None
    if not isinstance(match, str):
        raise bad('"match" must be a string (a regular expression).')
    try:
        return re.compile(match)
    except re.error as exc:
        raise bad(f"bad regular expression in \"match\" {match!r}: {exc}.") from exc


def _times(item: dict, bad: Any) -> int | None:
    times = item.get("times")
    if times is None:
        return None
    if isinstance(times, bool) or not isinstance(times, int) or times < 1:
        raise bad(f'"times" must be a whole number of at least 1, not {times!r}.')
    return times


class ReplayScript:
    """The parsed file plus use counters, shared by every role of a run (thread-safe)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.lines = self._load()
        self._used = [0] * len(self.lines)
        self._lock = threading.Lock()

    def _load(self) -> list[ReplayLine]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                f"cannot read replay file {self.path} ({exc.strerror or exc}); check --replay."
            ) from exc
        lines = [
            parse_line(raw, str(self.path), n)
            for n, raw in enumerate(text.splitlines(), start=1)
            if raw.strip() and not raw.lstrip().startswith("#")
        ]
        if not lines:
            raise ConfigError(f"replay file {self.path} has no replies; add JSONL lines.")
        return lines

    def take(self, role: str, messages: Sequence[BaseMessage]) -> str:
        """The reply for one call; ReplayExhausted when no line fits."""
        text = "\n".join(message_text(m) for m in messages)
        with self._lock:
            for i, line in enumerate(self.lines):
                if line.times is not None and self._used[i] >= line.times:
                    continue
                if line.fits(role, text):
                    self._used[i] += 1
                    return line.content
        raise ReplayExhausted(
            f"no reply left in replay file {self.path} for role {role!r}; the prompt starts: "
            f"{prompt_preview(messages)!r}. Add a line with role {role!r} (or \"*\") "
            "whose match fits this prompt, or raise the \"times\" of one that does."
        )

    def uses(self) -> list[int]:
        """How often each line has been used, in file order."""
        with self._lock:
            return list(self._used)


def message_text(message: BaseMessage) -> str:
    """The text of a message, whether its content is a string or a list of blocks."""
    content = message.content
    if isinstance(content, str):
        return content
    parts = [b if isinstance(b, str) else str(b.get("text", "")) for b in content]
    return "\n".join(parts)


def prompt_preview(messages: Sequence[BaseMessage]) -> str:
    """The start of the prompt: the last human message (or the last message), one line."""
    humans = [m for m in messages if isinstance(m, HumanMessage)]
    chosen = humans[-1:] or list(messages[-1:])
    text = " ".join(message_text(chosen[0]).split()) if chosen else ""
    return text[:PROMPT_PREVIEW] + ("..." if len(text) > PROMPT_PREVIEW else "")


class ReplayChatModel(BaseChatModel):
    """A real chat model whose replies come from a ReplayScript, for one role."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    role: str
    script: ReplayScript

    @property
    def _llm_type(self) -> str:
        return "ryx-replay"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        reply = self.script.take(self.role, messages)
        message = AIMessage(content=reply, response_metadata={"model_provider": "replay"})
        return ChatResult(generations=[ChatGeneration(message=message)])
