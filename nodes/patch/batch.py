"""One attempt as a batch: k samples from the coding model, screened cheaply, best first.

Each sample is applied in the worktree and dropped when it holds no usable edit, duplicates
another sample or a patch that already failed, is refused unscored, or (when there are several)
does not make the weakness's test pass in the sandbox. What survives goes to verify, smallest
diff first. The tally says how every sample ended, in the words the progress line prints.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field

# How a sample can end, in the order the tally lists them.
ENDINGS = ("no edit found", "unchanged", "edit did not apply", "identical to a failed patch", "duplicate",
           "refused unscored", "broken", "still failing", "passed the quick check")
SPREAD = (0.2, 1.0)  # the temperatures a batch spreads its samples over


@dataclass(frozen=True)
class Option:
    """A screened candidate: its diff, the files it changes, and its id (hash of the diff)."""

    id: str
    diff: str
    paths: list[str]

    @property
    def changed_lines(self) -> int:
        return changed_lines(self.diff)


def changed_lines(diff: str) -> int:
    """Lines a diff adds or removes (file headers not counted)."""
    return sum(1 for ln in diff.splitlines() if ln[:1] in "+-" and ln[:3] not in ("+++", "---"))


@dataclass(frozen=True)
class Refusal:
    """A sample that never reaches the full benchmark: how it ended (one of ENDINGS), why, and
    the patch itself when it applied (a failed quick check is remembered with its diff)."""

    ending: str
    reason: str
    option: Option | None = None


@dataclass
class Tally:
    """How the samples of one batch ended, and the first reason of each kind."""

    counts: Counter = field(default_factory=Counter)
    reasons: dict[str, str] = field(default_factory=dict)

    def add(self, ending: str, reason: str = "") -> None:
        self.counts[ending] += 1
        self.reasons.setdefault(ending, reason)

    @property
    def samples(self) -> int:
        return sum(self.counts.values())

    def line(self) -> str:
        """`8 samples: 3 no edit found, 2 duplicate, 3 still failing`."""
        parts = [f"{self.counts[e]} {e}" for e in ENDINGS if self.counts[e]]
        return f"{self.samples} sample{'s' if self.samples != 1 else ''}: {', '.join(parts)}"

    def example(self) -> str:
        """The most telling reason for the next prompt: a failing run beats a format slip."""
        for ending in reversed(ENDINGS[:-1]):
            if ending in self.reasons and self.reasons[ending]:
                return self.reasons[ending]
        return ""


def patch_id(diff: str) -> str:
    """A diff's identity, blind to what cannot change behaviour: hunk positions, trailing
    whitespace, added or removed blank lines."""
    kept = [ln.rstrip() for ln in diff.splitlines()
            if not ln.startswith(("index ", "@@")) and ln.strip() not in ("+", "-")]
    return hashlib.sha256("\n".join(kept).encode("utf-8", "replace")).hexdigest()[:16]


def temperatures(k: int, base: float) -> list[float]:
    """One sample at the base temperature; several spread from cool to hot."""
    if k == 1:
        return [base]
    low, high = SPREAD
    return [round(low + (high - low) * i / (k - 1), 2) for i in range(k)]


def seeds(k: int, *key: object) -> list[int]:
    """Distinct, reproducible seeds for the samples of one attempt."""
    digest = hashlib.sha256(repr(key).encode()).digest()
    first = int.from_bytes(digest[:4], "big") % (2**31 - k)
    return [first + i for i in range(k)]


def best_first(options: list[Option]) -> list[Option]:
    """The smallest change first (a small model's big rewrite is rarely the better fix)."""
    return sorted(options, key=lambda o: o.changed_lines)
