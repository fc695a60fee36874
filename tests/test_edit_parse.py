"""parse_reply: blocks, path lines, whole-file fences, diffs, deletes, malformed replies."""

from __future__ import annotations

import pytest

from skills.edit import Edit, EditError, parse_reply

BLOCK = "<<<<<<< SEARCH\nold = 1\n=======\nnew = 2\n>>>>>>> REPLACE\n"


@pytest.mark.parametrize("before", [
    "calc.py\n", "# calc.py\n", "File: calc.py\n", "**calc.py**\n", "### `calc.py`\n",
    "Here is the fix for `calc.py`:\n", "./calc.py\n", "calc.py:\n",
])
def test_path_line_variants(before):
    edits = parse_reply(f"Some prose.\n\n{before}```python\n{BLOCK}```\nDone.", known_paths=["calc.py", "x.py"])
    assert edits == [Edit("calc.py", "old = 1\n", "new = 2\n", "replace")]


def test_path_inside_fence_and_in_info_string():
    assert parse_reply(f"```python\ncalc.py\n{BLOCK}```")[0].path == "calc.py"
    assert parse_reply(f"```python path=pkg/calc.py\n{BLOCK}```")[0].path == "pkg/calc.py"


def test_markers_with_odd_lengths_and_trailing_spaces():
    reply = "calc.py\n<<<<<<<<< SEARCH  \nold = 1\n=====   \nnew = 2\n>>>>> REPLACE \n"
    assert parse_reply(reply)[0].replace == "new = 2\n"


def test_second_block_inherits_path_and_files_are_separate():
    reply = f"a.py\n```\n{BLOCK}```\nthen:\n```\n{BLOCK}```\nb.py\n{BLOCK}"
    assert [e.path for e in parse_reply(reply)] == ["a.py", "a.py", "b.py"]


def test_bare_name_and_git_prefix_resolve_to_known_path():
    known = ["src/app/calc.py", "README.md"]
    assert parse_reply(f"calc.py\n{BLOCK}", known_paths=known)[0].path == "src/app/calc.py"
    assert parse_reply(f"b/src/app/calc.py\n{BLOCK}", known_paths=known)[0].path == "src/app/calc.py"


def test_no_path_uses_single_known_path_else_refuses():
    assert parse_reply(BLOCK, known_paths=["only.py"])[0].path == "only.py"
    with pytest.raises(EditError, match="names no file"):
        parse_reply(BLOCK, known_paths=["a.py", "b.py"])


def test_empty_search_is_create():
    edit = parse_reply("new.py\n<<<<<<< SEARCH\n=======\nx = 1\n>>>>>>> REPLACE\n")[0]
    assert (edit.kind, edit.replace) == ("create", "x = 1\n")


@pytest.mark.parametrize("reply,needle", [
    ("calc.py\n<<<<<<< SEARCH\nold\n=======\nnew\n", "REPLACE"),
    ("calc.py\n<<<<<<< SEARCH\nold\n>>>>>>> REPLACE\n", "======="),
])
def test_unclosed_blocks_are_refused_naming_the_file(reply, needle):
    with pytest.raises(EditError) as info:
        parse_reply(reply, known_paths=["calc.py", "x.py"])
    assert "calc.py" in str(info.value) and needle in str(info.value)


def test_whole_file_fences():
    known = ["calc.py", "x.py"]
    assert parse_reply("calc.py\n```python\nx = 1\n```", known_paths=known) == [
        Edit("calc.py", "", "x = 1\n", "whole")]
    assert parse_reply("```python\n# calc.py\nx = 1\n```", known_paths=known)[0].replace == "x = 1\n"
    assert parse_reply("```calc.py\nx = 1\n```", known_paths=known)[0].kind == "whole"
    assert parse_reply("new.py\n```python\nx = 1\n```", known_paths=known)[0].kind == "create"


def test_whole_file_implicit_only_with_one_known_path_and_fitting_language():
    assert parse_reply("Fixed:\n```python\nx = 1\n```", known_paths=["calc.py"])[0].path == "calc.py"
    with pytest.raises(EditError):
        parse_reply("Run:\n```bash\npytest\n```", known_paths=["calc.py"])
    with pytest.raises(EditError, match="2 code blocks"):
        parse_reply("```python\nx = 1\n```\n```python\nx = 2\n```", known_paths=["calc.py"])


def test_unified_diff_hunks_become_replace_edits():
    reply = "```diff\n--- a/calc.py\n+++ b/calc.py\n@@ -1,2 +1,2 @@\n def f():\n-    return 1\n+    return 2\n```"
    assert parse_reply(reply) == [Edit("calc.py", "def f():\n    return 1\n", "def f():\n    return 2\n", "replace")]


def test_diff_creates_and_deletes_files():
    reply = ("```diff\n--- /dev/null\n+++ b/new.py\n@@ -0,0 +1 @@\n+x = 1\n"
             "--- a/old.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-y = 2\n```")
    assert parse_reply(reply) == [Edit("new.py", "", "x = 1\n", "create"), Edit("old.py", "", "", "delete")]


def test_delete_line():
    edits = parse_reply("Remove the stale copy.\n\nDELETE old_calc.py\n")
    assert edits == [Edit("old_calc.py", "", "", "delete")]


def test_prose_only_and_oversized_replies_are_refused():
    with pytest.raises(EditError, match="No edits found"):
        parse_reply("The bug is on line 5, change - to +.")
    with pytest.raises(EditError, match="over the limit"):
        parse_reply("calc.py\n" + BLOCK + "#" * 200_001)
