"""Read real pytest output (-q, -v, -rA, --tb=long|short|line|no) into `Failure` records.

The parser is tolerant: it works on whatever sections are present (failure blocks, the
short test summary, `--tb=line` locations, usage errors) and never raises on odd text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from skills.heal.clip import clip_line, clip_lines

KINDS = ("assertion", "exception", "syntax", "import", "timeout", "collection")

_SECTION = re.compile(r"^={3,} (.+?) ={3,}$")
_HEADER = re.compile(r"^_{3,} (.+?) _{3,}$")
_CAPTURED = re.compile(r"^-{3,} Captured .* -{3,}$")
_SUMMARY = re.compile(r"^(FAILED|ERROR) (.+)$")
_VERBOSE = re.compile(r"^(\S+::\S.*?) (FAILED|ERROR)\b")
_USAGE = re.compile(r"^ERROR: (.+)$")
_E_LINE = re.compile(r"^E( +)(.*)$")
_LOCATION = re.compile(r"^(\S[^:]*?\.py):(\d+):(?: (.*))?$")
_PY_FRAME = re.compile(r'File "([^"]+)", line (\d+)')
_EXC_LINE = re.compile(
    r"^(?:[A-Za-z_]\w*\.)*(?:[A-Z]\w*(?:Error|Exception|Exit|Warning|Interrupt|Expired|Timeout)"
    r"|Failed|StopIteration|KeyboardInterrupt)(?::|$)"
)
_NAMED_LINE = re.compile(r"^(?:[A-Za-z_]\w*\.)*[A-Z]\w*: ")
_TIMEOUT = re.compile(r"Failed: Timeout|\+{3,} Timeout \+{3,}|TimeoutExpired|TimeoutError|timed out")
_SYNTAX = re.compile(r"\b(SyntaxError|IndentationError|TabError)\b")
_IMPORT = re.compile(r"\b(ModuleNotFoundError|ImportError)\b|cannot import name")
_INTERNAL = ("site-packages/_pytest", "site-packages/pluggy", "<frozen ", "/importlib/", "/lib/python3")
_MESSAGE_MAX = 400
@dataclass(frozen=True)
class Failure:
    """One failed test, collection error or usage error, as the model should see it."""

    test_id: str
    kind: str
    message: str
    file: str | None
    line: int | None
    excerpt: str


@dataclass
class _Block:
    title: str
    lines: list[str]


def summarize_pytest_output(output: str, *, limit_chars: int = 2000) -> list[Failure]:
    """Every failure in `output`, in pytest's order; each excerpt is at most `limit_chars`."""
    lines = output.replace("\r\n", "\n").splitlines()
    ids = _summary_ids(lines)
    messages = dict(ids)
    blocks = _blocks(lines)
    failures = [_from_block(b, _claim_id(b.title, ids), limit_chars) for b in blocks]
    if not blocks:
        failures = _from_line_tracebacks(lines, ids, limit_chars)
    seen = {f.test_id for f in failures}
    for test_id, message in ids:
        if test_id not in seen:
            failures.append(_from_summary(test_id, message, messages))
    return failures + _usage_errors(lines)


def _summary_ids(lines: list[str]) -> list[tuple[str, str]]:
    """(test id, message) from `FAILED id - msg` summary lines, or `id FAILED` in -v mode.

    Only pytest's own report lines count: a test's captured log can say `ERROR ...` too.
    """
    summary = _section(lines, "short test summary info")
    found = [_split_summary(m.group(2)) for m in map(_SUMMARY.match, summary) if m]
    if found:
        return found
    for line in _outside_blocks(lines):
        match = _VERBOSE.match(line)
        if match and match.group(1) not in {i for i, _ in found}:
            found.append((match.group(1), ""))
    return found


def _outside_blocks(lines: list[str]) -> list[str]:
    """The lines not inside a FAILURES, ERRORS or PASSES section."""
    out: list[str] = []
    inside = False
    for line in lines:
        match = _SECTION.match(line)
        if match:
            inside = match.group(1) in ("FAILURES", "ERRORS", "PASSES")
        elif not inside:
            out.append(line)
    return out


def _split_summary(rest: str) -> tuple[str, str]:
    """Split `path::test[param - with] - message` at the first ` - ` outside brackets."""
    depth = 0
    for i, char in enumerate(rest):
        depth += {"[": 1, "]": -1}.get(char, 0)
        if depth <= 0 and rest.startswith(" - ", i):
            return rest[:i], rest[i + 3 :]
    return rest.strip(), ""


def _blocks(lines: list[str]) -> list[_Block]:
    """Failure blocks of the FAILURES and ERRORS sections, captured output left out."""
    blocks: list[_Block] = []
    section, current, capturing = "", None, False
    for line in lines:
        section_match = _SECTION.match(line)
        if section_match:
            section, current = section_match.group(1), None
            continue
        header = _HEADER.match(line)
        if header and section in ("FAILURES", "ERRORS"):
            current, capturing = _Block(header.group(1), []), False
            blocks.append(current)
        elif current is not None:
            capturing = capturing or bool(_CAPTURED.match(line))
            if not capturing:
                current.lines.append(line)
    return blocks


def _claim_id(title: str, ids: list[tuple[str, str]]) -> str:
    """The summary id this block's title names (taken out of `ids`), else the title."""
    wanted = _title_target(title)
    for index, (test_id, _) in enumerate(ids):
        tail = test_id.split("::", 1)[1].replace("::", ".") if "::" in test_id else test_id
        if wanted in (test_id, tail):
            ids.pop(index)
            return test_id
    return wanted


def _title_target(title: str) -> str:
    for prefix in ("ERROR collecting ", "ERROR at setup of ", "ERROR at teardown of "):
        if title.startswith(prefix):
            return title[len(prefix) :]
    return title


def _from_block(block: _Block, test_id: str, limit_chars: int) -> Failure:
    e_lines = _e_lines(block.lines)
    text = "\n".join(block.lines)
    message = _key_message(e_lines) or _first_meaningful(block.lines)
    file, line = _location(block.lines, e_lines)
    collection = block.title.startswith("ERROR collecting ")
    kind = _kind(message, text, collection)
    excerpt = _excerpt(block.lines, e_lines, message, limit_chars)
    return Failure(test_id, kind, clip_line(message, _MESSAGE_MAX), file, line, excerpt)


def _e_lines(lines: list[str]) -> list[str]:
    """The `E   ...` lines with pytest's common indent removed."""
    matches = [m for m in map(_E_LINE.match, lines) if m]
    if not matches:
        return []
    indent = min(len(m.group(1)) for m in matches if m.group(2).strip() or len(matches) == 1)
    return [(" " * len(m.group(1)) + m.group(2))[indent:] for m in matches]


def _key_message(e_lines: list[str]) -> str:
    """The exception line (`KeyError: 'x'`), else an `assert` line, else a `Name: ...` line."""
    stripped = [line.strip() for line in e_lines]
    for pattern in (_EXC_LINE, re.compile(r"^assert\b"), _NAMED_LINE):
        for line in stripped:
            if pattern.match(line):
                return line
    return next((line for line in stripped if line), "")


def _first_meaningful(lines: list[str]) -> str:
    return next((line.strip() for line in lines if line.strip() and not line.startswith("_ _")), "")


def _location(lines: list[str], e_lines: list[str]) -> tuple[str | None, int | None]:
    """Where it broke: a SyntaxError's own `File ..., line N`, else the deepest project frame."""
    for line in e_lines:
        frame = _PY_FRAME.search(line)
        if frame and _SYNTAX.search("\n".join(e_lines)):
            return frame.group(1), int(frame.group(2))
    found: list[tuple[str, int]] = []
    for line in lines:
        match = _LOCATION.match(line) or _PY_FRAME.search(line)
        if match and not _is_internal(match.group(1)):
            found.append((match.group(1), int(match.group(2))))
    return found[-1] if found else (None, None)


def _is_internal(path: str) -> bool:
    return any(marker in path for marker in _INTERNAL) or path.startswith("<")


def _kind(message: str, text: str, collection: bool) -> str:
    if _TIMEOUT.search(message) or "+ Timeout +" in text:
        return "timeout"
    if _SYNTAX.search(message):
        return "syntax"
    if _IMPORT.search(message):
        return "import"
    if collection:
        return "collection"
    if message.startswith(("AssertionError", "assert ", "Failed: DID NOT RAISE")):
        return "assertion"
    return "exception"


def _excerpt(lines: list[str], e_lines: list[str], message: str, limit: int) -> str:
    """Frames of the project (location and failing source line), then the E lines."""
    kept: list[str] = []
    pending: list[str] = []
    keep_source = False
    for line in lines:
        location = _LOCATION.match(line)
        if location:
            internal = _is_internal(location.group(1))
            kept.extend([] if internal else [*pending, line.rstrip()])
            pending = []
            keep_source = not internal and (location.group(3) or "").startswith("in ")
        elif line.startswith(">"):
            pending.append(line.rstrip())
        elif keep_source and line.startswith("    ") and line.strip().strip("^"):
            kept.append(line.rstrip())
        else:
            keep_source = False
    e_kept = [line.rstrip() for line in e_lines if line.strip()]
    return clip_lines(kept + pending + e_kept, message, limit)


def _from_line_tracebacks(lines: list[str], ids: list[tuple[str, str]], limit: int) -> list[Failure]:
    """`--tb=line`: one `path:N: message` per failure, paired in order with the summary ids."""
    failures: list[Failure] = []
    failed = [test_id for test_id, _ in ids]
    for line in _section(lines, "FAILURES"):
        match = _LOCATION.match(line)
        if match and match.group(3) and failed:
            message = clip_line(match.group(3), _MESSAGE_MAX)
            excerpt = clip_lines([line], message, limit)
            kind = _kind(message, line, False)
            failures.append(Failure(failed.pop(0), kind, message, match.group(1), int(match.group(2)), excerpt))
    return failures


def _section(lines: list[str], name: str) -> list[str]:
    out: list[str] = []
    inside = False
    for line in lines:
        match = _SECTION.match(line)
        if match:
            inside = match.group(1) == name
        elif inside:
            out.append(line)
    return out


def _from_summary(test_id: str, message: str, messages: dict[str, str]) -> Failure:
    """A failure known only from its summary line (`--tb=no`, or a block we could not read)."""
    message = message or messages.get(test_id, "") or "failed (no traceback in the output)"
    file = test_id.split("::", 1)[0] if ".py" in test_id else None
    collection = "::" not in test_id and file is not None
    return Failure(test_id, _kind(message, message, collection), message, file, None, message)


def _usage_errors(lines: list[str]) -> list[Failure]:
    """`ERROR: file or directory not found: x` and other errors pytest prints before running."""
    failures = []
    for line in _outside_blocks(lines):
        match = _USAGE.match(line)
        if match:
            message = match.group(1)
            failures.append(Failure("<pytest>", "collection", message, None, None, line))
    return failures
