"""CodeIndex: chunks of repository files in SQLite FTS5, ranked with bm25."""

from __future__ import annotations

import hashlib
import re
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from skills.search.files import MAX_FILE_BYTES, chunks, list_files, read_text
from skills.search.query import camel_pieces, identifier_parts, identifiers, query_terms
from skills.search.rank import boost, mentions

# bm25 weights of the FTS columns (name, defs, text, terms): the file's path counts most,
# then the names the chunk defines, then its text, then the CamelCase pieces of its words.
WEIGHTS = (6.0, 3.0, 1.0, 0.6)
SNIPPET_LINES = 3
FETCH_ROWS = 200
SCHEMA_VERSION = 2

_DEFINITION = re.compile(
    r"^\s*(?:(?:async\s+)?def|class|function|func|fn|struct|interface|type|enum)\s+([A-Za-z_]\w*)"
    r"|^([A-Za-z_]\w*)\s*(?::[^=\n]*)?=(?!=)",
    re.MULTILINE,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files(
    repo TEXT NOT NULL, path TEXT NOT NULL, size INTEGER, mtime_ns INTEGER, sha TEXT,
    PRIMARY KEY (repo, path));
CREATE TABLE IF NOT EXISTS chunk_meta(
    id INTEGER PRIMARY KEY, repo TEXT NOT NULL, path TEXT NOT NULL,
    line_start INTEGER NOT NULL, line_end INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS chunk_meta_file ON chunk_meta(repo, path);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks USING fts5(
    name, defs, text, terms, tokenize = 'porter unicode61 remove_diacritics 2');
"""
_DROP = "DROP TABLE IF EXISTS files; DROP TABLE IF EXISTS chunk_meta; DROP TABLE IF EXISTS chunks;"


@dataclass(frozen=True)
class Hit:
    """One matching chunk: where it is, how well it matched (higher is better), its best lines."""

    repo: str
    path: str
    line_start: int
    line_end: int
    score: float
    snippet: str

    def cite(self) -> str:
        return f"{self.repo}:{self.path}:{self.line_start}-{self.line_end}"


@dataclass(frozen=True)
class _Stored:
    size: int
    mtime_ns: int
    sha: str


class CodeIndex:
    """A search index over the text files of named repositories, in one SQLite file."""

    def __init__(self, db_path: str | Path, *, readonly: bool = False) -> None:
        """`readonly` opens an existing index to search it while another connection writes;
        an index of another layout then simply finds nothing."""
        self._lock = threading.Lock()
        if readonly:
            uri = f"file:{quote(str(Path(db_path).resolve()))}?mode=ro"
            self._conn = sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False)
            self._usable = self._conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
            return
        self._conn = sqlite3.connect(str(db_path), timeout=30, check_same_thread=False)
        if str(db_path) != ":memory:":
            self._conn.execute("PRAGMA journal_mode=WAL")
        self._migrate()
        self._usable = True

    def _migrate(self) -> None:
        """The index is a cache: an index of another layout is dropped and rebuilt on update."""
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if version != SCHEMA_VERSION:
            self._conn.executescript(_DROP)
        self._conn.executescript(_SCHEMA)
        self._conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> CodeIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- indexing ---------------------------------------------------------------------------

    def update(self, repo_name: str, root: Path, *, files: Iterable[str] | None = None) -> int:
        """(Re)index the text files of `root` under `repo_name`; return how many were indexed.

        Unchanged files (same size and mtime, or same content hash) are skipped. With
        files=None every file of the repo is considered and files gone from it are dropped;
        with `files` (paths relative to root) only those are, and the missing ones dropped.
        """
        root = Path(root).resolve()
        if not root.is_dir():
            raise NotADirectoryError(
                f"cannot index repo {repo_name!r}: {root} is not a directory; "
                "pass the repository's root folder"
            )
        wanted = list_files(root) if files is None else [_relative(root, f) for f in files]
        with self._lock, self._conn:
            stored = self._stored(repo_name)
            count = sum(self._refresh(repo_name, root, rel, stored.get(rel)) for rel in wanted)
            gone = set(stored) - set(wanted) if files is None else set()
            for rel in gone:
                self._forget(repo_name, rel)
        return count

    def _stored(self, repo: str) -> dict[str, _Stored]:
        rows = self._conn.execute(
            "SELECT path, size, mtime_ns, sha FROM files WHERE repo = ?", (repo,)
        )
        return {path: _Stored(size, mtime, sha) for path, size, mtime, sha in rows}

    def _refresh(self, repo: str, root: Path, rel: str, old: _Stored | None) -> bool:
        """Index one file if it changed; drop it if it vanished or is not text."""
        path = root / rel
        try:
            st = path.stat()
            unreadable = not path.is_file() or st.st_size > MAX_FILE_BYTES
        except OSError:
            unreadable = True
        if unreadable:
            self._forget(repo, rel)
            return False
        if old and (old.size, old.mtime_ns) == (st.st_size, st.st_mtime_ns):
            return False
        data = path.read_bytes()
        sha = hashlib.sha1(data).hexdigest()
        text = read_text(data)
        if text is None or (old and old.sha == sha):
            self._record(repo, rel, st.st_size, st.st_mtime_ns, sha, text is not None)
            return False
        self._forget(repo, rel)
        self._insert_chunks(repo, rel, text)
        self._record(repo, rel, st.st_size, st.st_mtime_ns, sha, True)
        return True

    def _record(self, repo: str, rel: str, size: int, mtime: int, sha: str, text: bool) -> None:
        if not text:
            self._forget(repo, rel)
            return
        self._conn.execute(
            "INSERT OR REPLACE INTO files(repo, path, size, mtime_ns, sha) VALUES (?, ?, ?, ?, ?)",
            (repo, rel, size, mtime, sha),
        )

    def _insert_chunks(self, repo: str, rel: str, text: str) -> None:
        name = _name_terms(rel)
        for start, end, body in chunks(text):
            cur = self._conn.execute(
                "INSERT INTO chunk_meta(repo, path, line_start, line_end) VALUES (?, ?, ?, ?)",
                (repo, rel, start, end),
            )
            self._conn.execute(
                "INSERT INTO chunks(rowid, name, defs, text, terms) VALUES (?, ?, ?, ?, ?)",
                (cur.lastrowid, name, _definitions(body), body, _split_terms(body)),
            )

    def _forget(self, repo: str, rel: str) -> None:
        self._conn.execute(
            "DELETE FROM chunks WHERE rowid IN "
            "(SELECT id FROM chunk_meta WHERE repo = ? AND path = ?)",
            (repo, rel),
        )
        self._conn.execute("DELETE FROM chunk_meta WHERE repo = ? AND path = ?", (repo, rel))
        self._conn.execute("DELETE FROM files WHERE repo = ? AND path = ?", (repo, rel))

    def file_count(self, repo_name: str) -> int:
        """How many files of `repo_name` are indexed."""
        with self._lock:
            return self._conn.execute("SELECT count(*) FROM files WHERE repo = ?", (repo_name,)).fetchone()[0]

    # -- searching --------------------------------------------------------------------------

    def search(
        self, query: str, *, limit: int = 10, repos: Sequence[str] | None = None
    ) -> list[Hit]:
        """The best chunk of each of the `limit` best-matching files, best first.

        Any text is accepted; text with no usable words, or an empty `repos`, finds nothing.
        """
        expr = query_terms(query)
        if not self._usable or not expr or limit <= 0 or (repos is not None and not repos):
            return []
        sql, params = _search_sql(expr, repos, fetch=max(FETCH_ROWS, limit * 10))
        with self._lock:
            rows = self._conn.execute(sql, params).fetchall()
        words, named = identifiers(query), mentions(query)
        best: dict[tuple[str, str], Hit] = {}
        for repo, path, start, end, rank, body in rows:
            if (repo, path) not in best:
                score = -rank * boost(path, named, words)
                best[(repo, path)] = Hit(repo, path, start, end, score, _snippet(body, words))
        return sorted(best.values(), key=lambda h: -h.score)[:limit]


def _search_sql(expr: str, repos: Sequence[str] | None, fetch: int) -> tuple[str, list]:
    weights = ", ".join(str(w) for w in WEIGHTS)
    sql = (
        f"SELECT m.repo, m.path, m.line_start, m.line_end, bm25(chunks, {weights}) AS rank, "
        "chunks.text FROM chunks JOIN chunk_meta m ON m.id = chunks.rowid "
        "WHERE chunks MATCH ?"
    )
    params: list = [expr]
    if repos is not None:
        sql += f" AND m.repo IN ({', '.join('?' * len(repos))})"
        params.extend(repos)
    sql += " ORDER BY rank LIMIT ?"
    params.append(fetch)
    return sql, params


def _relative(root: Path, name: str) -> str:
    """`name` as a POSIX path relative to root; refuses paths that lead outside it."""
    path = Path(name)
    full = (path if path.is_absolute() else root / path).resolve()
    try:
        return full.relative_to(root).as_posix()
    except ValueError:
        raise ValueError(
            f"cannot index {name!r}: it is outside the repository root {root}; "
            "pass paths relative to the root"
        ) from None


def _name_terms(rel: str) -> str:
    """The path's words for the heavily weighted `name` column: whole and split parts."""
    pieces = PurePosixPath(rel).with_suffix("").parts
    words = [rel]
    for piece in pieces:
        words.extend(identifier_parts(piece))
    return " ".join(words)


def _definitions(body: str) -> str:
    """Names the chunk defines (functions, classes, top-level assignments), whole and split."""
    names = [a or b for a, b in _DEFINITION.findall(body)]
    return " ".join(identifiers(" ".join(names)))


def _split_terms(body: str) -> str:
    """CamelCase pieces of the chunk's identifiers, for the `terms` column."""
    return " ".join(camel_pieces(body))


def _snippet(body: str, words: list[str]) -> str:
    """The chunk's lines that mention the most query words, at most SNIPPET_LINES of them."""
    lines = body.splitlines()
    scored = [(sum(w in line.lower() for w in words), i) for i, line in enumerate(lines)]
    top = sorted(i for _, i in sorted(scored, key=lambda s: -s[0])[:SNIPPET_LINES])
    return "\n".join(lines[i].strip() for i in top if lines[i].strip())
