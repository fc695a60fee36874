"""apply_edits on real files: all-or-nothing, encodings, newlines, validation, path safety, caps."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from skills.edit import Edit, apply_edits, parse_reply
from skills.edit.types import MAX_CHANGED_LINES

CALC = "def add(a, b):\n    return a - b\n\n\ndef sub(a, b):\n    return a - b\n"
FIXED = CALC.replace("def add(a, b):\n    return a - b", "def add(a, b):\n    return a + b")
ADD = Edit("calc.py", "def add(a, b):\n    return a - b\n", "def add(a, b):\n    return a + b\n")


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "calc.py").write_text(CALC)
    (root / "notes.json").write_text('{"a": 1}\n')
    return root


def test_applies_and_reports_changed(repo):
    result = apply_edits(repo, [ADD])
    assert result.ok and result.changed == ("calc.py",)
    assert (repo / "calc.py").read_text() == FIXED


def test_dry_run_writes_nothing(repo):
    result = apply_edits(repo, [ADD], dry_run=True)
    assert result.changed == ("calc.py",) and (repo / "calc.py").read_text() == CALC


def test_second_edit_failing_leaves_first_file_untouched(repo):
    bad = Edit("notes.json", '"missing": 1', '"b": 2')
    result = apply_edits(repo, [ADD, bad])
    assert not result.ok and result.changed == ()
    assert (repo / "calc.py").read_text() == CALC
    assert "notes.json" in result.errors[0] and "edit 2" in result.errors[0]
    assert "Closest lines" in result.errors[0] and '1 | {"a": 1}' in result.errors[0]


def test_ambiguous_error_names_places(repo):
    result = apply_edits(repo, [Edit("calc.py", "    return a - b\n", "    return 0\n")])
    assert "2 places (line 2, line 6)" in result.errors[0]


@pytest.mark.parametrize("name,data,expected", [
    ("crlf.py", CALC.replace("\n", "\r\n").encode(), FIXED.replace("\n", "\r\n").encode()),
    ("bom.py", b"\xef\xbb\xbf" + CALC.encode(), b"\xef\xbb\xbf" + FIXED.encode()),
    ("latin.py", ("# caf\xe9\n" + CALC).encode("latin-1"), ("# caf\xe9\n" + FIXED).encode("latin-1")),
    ("nofinal.py", CALC.rstrip("\n").encode(), FIXED.rstrip("\n").encode()),
])
def test_encoding_newlines_bom_preserved(repo, name, data, expected):
    (repo / name).write_bytes(data)
    assert apply_edits(repo, [Edit(name, ADD.search, ADD.replace)]).ok
    assert (repo / name).read_bytes() == expected


def test_latin1_file_refuses_characters_it_cannot_hold(repo):
    (repo / "latin.py").write_bytes("# caf\xe9\nx = 1\n".encode("latin-1"))
    result = apply_edits(repo, [Edit("latin.py", "x = 1\n", "x = '\u20ac'\n")])
    assert "latin-1" in result.errors[0]


@pytest.mark.parametrize("edit,needle", [
    (Edit("calc.py", ADD.search, "def add(a, b)\n    return a + b\n"), "not valid Python"),
    (Edit("notes.json", '{"a": 1}', '{"a": 1,}'), "not valid JSON"),
    (Edit("cfg.toml", "", "[x\n", "create"), "not valid TOML"),
    (Edit("cfg.yaml", "", "a: [1\n", "create"), "not valid YAML"),
])
def test_invalid_results_are_refused(repo, edit, needle):
    result = apply_edits(repo, [edit])
    assert needle in result.errors[0] and edit.path in result.errors[0]
    assert (repo / "calc.py").read_text() == CALC and not (repo / "cfg.toml").exists()


def test_file_already_invalid_is_not_blamed_on_the_edit(repo):
    (repo / "broken.py").write_text("def f(:\n    pass\nx = 1\n")
    assert apply_edits(repo, [Edit("broken.py", "x = 1\n", "x = 2\n")]).ok


@pytest.mark.parametrize("path", ["../outside.py", "/tmp/abs.py", "sub/../../x.py", ".git/config"])
def test_paths_outside_root_are_refused(repo, path):
    result = apply_edits(repo, [Edit(path, "", "x = 1\n", "create")])
    assert not result.ok and path in result.errors[0] and "refused" in result.errors[0]
    assert not (repo.parent / "outside.py").exists()


def test_symlink_leading_outside_is_refused(repo, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text("x = 1\n")
    os.symlink(outside, repo / "vendor")
    result = apply_edits(repo, [Edit("vendor/secret.py", "x = 1\n", "x = 2\n")])
    assert "symlink" in result.errors[0]
    assert (outside / "secret.py").read_text() == "x = 1\n"


def test_symlink_inside_root_edits_the_target(repo):
    os.symlink(repo / "calc.py", repo / "link.py")
    assert apply_edits(repo, [Edit("link.py", ADD.search, ADD.replace)]).ok
    assert (repo / "link.py").is_symlink() and (repo / "calc.py").read_text() == FIXED


def test_create_delete_and_whole(repo):
    edits = [Edit("pkg/new.py", "", "y = 2\n", "create"), Edit("notes.json", "", "", "delete"),
             Edit("calc.py", "", FIXED, "whole")]
    assert apply_edits(repo, edits).changed == ("pkg/new.py", "notes.json", "calc.py")
    assert (repo / "pkg/new.py").read_text() == "y = 2\n" and not (repo / "notes.json").exists()
    assert (repo / "calc.py").read_text() == FIXED


def test_create_over_existing_file_and_delete_missing_are_refused(repo):
    assert "already exists" in apply_edits(repo, [Edit("calc.py", "", "x = 1\n", "create")]).errors[0]
    assert "no such file" in apply_edits(repo, [Edit("gone.py", "", "", "delete")]).errors[0]


def test_whole_file_with_elision_or_fragment_is_refused(repo):
    elided = apply_edits(repo, [Edit("calc.py", "", "def add(a, b):\n    return a + b\n# ... rest unchanged\n", "whole")])
    assert "left out" in elided.errors[0]
    (repo / "big.py").write_text("".join(f"x{i} = {i}\n" for i in range(40)))
    fragment = apply_edits(repo, [Edit("big.py", "", "".join(f"x{i} = {i}\n" for i in range(10)), "whole")])
    assert "fragment" in fragment.errors[0]


def test_noop_and_diff_cap_are_refused(repo):
    assert "change nothing" in apply_edits(repo, [Edit("calc.py", ADD.search, ADD.search)]).errors[0]
    huge = "".join(f"v{i} = {i}\n" for i in range(MAX_CHANGED_LINES + 1))
    assert "over the limit" in apply_edits(repo, [Edit("huge.py", "", huge, "create")]).errors[0]


def test_reply_to_files_end_to_end(repo):
    reply = "Fix:\n\n./calc.py\n```python\n<<<<<<< SEARCH\n  def add(a, b):\n      return a - b\n=======\n  def add(a, b):\n      return a + b\n>>>>>>> REPLACE\n```\n"
    edits = parse_reply(reply, known_paths=["calc.py", "notes.json"])
    assert apply_edits(repo, edits).ok and (repo / "calc.py").read_text() == FIXED


def test_whole_file_unlike_the_current_one_is_refused(repo):
    (repo / "util.py").write_text("".join(f"def f{i}():\n    return {i}\n" for i in range(4)))
    result = apply_edits(repo, [Edit("util.py", "", "print(f1())\n", "whole")])
    assert "shares almost nothing" in result.errors[0]
