"""Runs inside the sandbox: one call of a skill taken from a snapshot of `skills/`.

    python -I -B skills_worker.py SNAPSHOT_DIR REQUEST.json RESULT_PATH

When Ryx improves itself, the skills it works with each cycle are the head of ryx/improve:
code a model wrote. They run here, in a sandbox, never in the loop's own process; this file
(part of the loop, not of the snapshot) reads the request, calls the skill, and writes one
JSON result. Any exception of the skill is a result too ({"crash": traceback}): the loop
then knows those skills are broken. Standalone on purpose: stdlib only.
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path
from typing import Any

PING_REPLY = "calc.py\n```python\n<<<<<<< SEARCH\nx = 1\n=======\nx = 2\n>>>>>>> REPLACE\n```\n"
PING_OUTPUT = "FAILED t.py::test_a - assert 1 == 2\n1 failed in 0.01s\n"


def ping(request: dict[str, Any]) -> dict[str, Any]:
    """Import every skill the loop uses and exercise each once."""
    from skills.edit import parse_reply
    from skills.heal import feedback_for_model, summarize_pytest_output
    from skills.search import CodeIndex

    edits = parse_reply(PING_REPLY, known_paths=["calc.py"])
    text = feedback_for_model(summarize_pytest_output(PING_OUTPUT))
    CodeIndex(":memory:").close()
    return {"ok": bool(edits) and isinstance(text, str)}


def edit(request: dict[str, Any]) -> dict[str, Any]:
    from skills.edit import EditError, apply_edits, parse_reply

    try:
        edits = parse_reply(request["reply"], known_paths=request["known_paths"])
    except EditError as exc:
        return {"edit_error": str(exc)}
    result = apply_edits(Path(request["root"]), edits)
    return {"changed": list(result.changed), "errors": list(result.errors)}


def feedback(request: dict[str, Any]) -> dict[str, Any]:
    from skills.heal import feedback_for_model, summarize_pytest_output

    failures = summarize_pytest_output(request["output"])
    if request.get("test_id"):
        failures = [f for f in failures if f.test_id == request["test_id"]] or failures
    text = feedback_for_model(failures, limit_chars=request["limit_chars"]) if failures else ""
    return {"text": text, "files": [f.file for f in failures if f.file]}


def search(request: dict[str, Any]) -> dict[str, Any]:
    from skills.search import CodeIndex

    index = CodeIndex(request["db"])
    try:
        for name, root in request["repos"]:
            index.update(name, Path(root))
        hits = index.search(request["query"], limit=request["limit"])
    finally:
        index.close()
    return {"hits": [{"repo": h.repo, "path": h.path, "line_start": h.line_start, "line_end": h.line_end,
                      "score": h.score, "snippet": h.snippet} for h in hits]}


OPS = {"ping": ping, "edit": edit, "feedback": feedback, "search": search}


def main(argv: list[str]) -> int:
    snapshot, request_path, result_path = argv
    sys.path.insert(0, str(Path(snapshot).parent))  # the folder that holds skills/
    request = json.loads(Path(request_path).read_text(encoding="utf-8"))
    try:
        result = OPS[request["op"]](request)
    except BaseException:  # the skill's own fault, whatever it is: reported, not hidden
        result = {"crash": traceback.format_exc()[-4000:]}
    with open(result_path, "w", encoding="utf-8") as out:
        out.write(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
