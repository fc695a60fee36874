"""Delta debugging (Zeller's ddmin) over a candidate's parts: the smallest set that still earns.

`good(parts)` answers whether a subset still makes the gain (the loop asks a cheap question:
the weakness's test and the tests near the change, nothing else); the search stops at a
1-minimal set or when `budget` questions were asked, whichever comes first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Reduced:
    kept: list
    dropped: list
    tests: int  # how many times `good` was asked


def ddmin(parts: Sequence[T], good: Callable[[list[T]], bool], budget: int = 24) -> Reduced:
    current, n, tests, seen = list(parts), 2, 0, {}

    def ask(subset: list[T]) -> bool:
        nonlocal tests
        key = tuple(id(p) for p in subset)
        if key not in seen:
            tests += 1
            seen[key] = bool(subset) and good(subset)
        return seen[key]

    while len(current) >= 2 and tests < budget:
        chunks = _split(current, n)
        smaller = next((c for c in chunks if tests < budget and ask(c)), None)
        if smaller is not None:
            current, n = smaller, 2
            continue
        complement = None
        if n > 2:
            for i in range(len(chunks)):
                rest = [p for j, c in enumerate(chunks) if j != i for p in c]
                if tests < budget and ask(rest):
                    complement = rest
                    break
        if complement is not None:
            current, n = complement, max(n - 1, 2)
        elif n >= len(current):
            break
        else:
            n = min(n * 2, len(current))
    kept_ids = {id(p) for p in current}
    return Reduced(current, [p for p in parts if id(p) not in kept_ids], tests)


def _split(items: list[T], n: int) -> list[list[T]]:
    size, rest = divmod(len(items), n)
    out, start = [], 0
    for i in range(n):
        end = start + size + (1 if i < rest else 0)
        out.append(items[start:end])
        start = end
    return [c for c in out if c]
