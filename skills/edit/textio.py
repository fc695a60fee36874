"""Files as lines, keeping their encoding, BOM, newline style and final newline; atomic writes."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class FileText:
    """A text file as lines without line endings, and how to write it back."""

    lines: tuple[str, ...]
    encoding: str = "utf-8"  # utf-8 | utf-8-sig (BOM) | latin-1
    newline: str = "\n"
    final_newline: bool = True

    def with_lines(self, lines: list[str]) -> FileText:
        return replace(self, lines=tuple(lines))

    def text(self) -> str:
        """The text with `\\n` line endings."""
        body = "\n".join(self.lines)
        return body + "\n" if self.final_newline and self.lines else body


def split_lines(text: str) -> tuple[list[str], bool]:
    """Lines of a `\\n`-text and whether it ends with a newline."""
    if not text:
        return [], True
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
        return lines, True
    return lines, False


def decode(data: bytes) -> FileText:
    """Bytes -> FileText: utf-8 (with or without BOM), else latin-1; CRLF when most lines use it."""
    if data.startswith(BOM):
        encoding, text = "utf-8-sig", data[len(BOM) :].decode("utf-8", errors="replace")
    else:
        try:
            encoding, text = "utf-8", data.decode("utf-8")
        except UnicodeDecodeError:
            encoding, text = "latin-1", data.decode("latin-1")
    crlf = text.count("\r\n")
    newline = "\r\n" if crlf and crlf >= text.count("\n") - crlf else "\n"
    lines, final = split_lines(text.replace("\r\n", "\n"))
    return FileText(tuple(lines), encoding, newline, final)


def encode(ft: FileText) -> bytes:
    """FileText -> bytes in its own encoding and newline style (UnicodeEncodeError if it can't)."""
    text = ft.text().replace("\n", ft.newline)
    if ft.encoding == "utf-8-sig":
        return BOM + text.encode("utf-8")
    return text.encode(ft.encoding)


def write_atomic(path: Path, data: bytes) -> None:
    """Write via a temp file in the same directory and os.replace, keeping the file's mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o7777 if path.exists() else None
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".ryx-tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
