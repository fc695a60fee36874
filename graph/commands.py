"""The `ryx` commands that read or steer a target's memory (not the loop itself)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import time
from pathlib import Path

from graph.progress import UNSANDBOXED
from ryx import control
from ryx.approvals import find, merge_approval, pending_commits, reject_approval
from ryx.checkpoints import open_database
from ryx.clones import accept
from ryx.errors import EXIT_OK, UsageError
from ryx.gitops import Workspace, open_target
from ryx.library import Library, research_folder
from ryx.memory import Memory
from state.context import RYX_ROOT, default_db, default_target

STOP_GRACE_S = 15.0


def _open(args: argparse.Namespace):
    """The target and its database, read-shared; a database that does not exist is an error."""
    target = open_target(args.target or default_target())
    db_path = Path(args.db).expanduser().resolve() if args.db else Path(default_db())
    if not db_path.exists():
        raise UsageError(f"no checkpoint database at {db_path} yet: run `ryx improve` (or "
                         "`ryx benchmark`) first, or pass --db with the one your runs used.")
    return target, open_database(db_path, exclusive=False)


def stop(args: argparse.Namespace) -> int:
    """Stop every run of the user (CLI, Studio, `ryx benchmark`: stop file, SIGTERM, SIGKILL
    after a grace period), then unload the models Ryx loaded (`--models all`: every model
    Ollama holds)."""
    from ryx.models import DEFAULT_OLLAMA, ModelSettings
    from ryx.ollama import is_reachable, loaded_models, unload_ollama_models

    started = time.monotonic()
    runs = control.live_runs()
    for run in runs:
        control.request_stop(run["db"])
        control.signal_run(int(run["pid"]))
    killed = _wait_or_kill([int(r["pid"]) for r in runs])
    what = "; ".join(f"{r.get('kind', 'improve')} {r['pid']} on {r['target']}"
                     + (" (killed)" if int(r["pid"]) in killed else "") for r in runs)
    print(f"stopped {len(runs)} run(s)" + (f": {what}" if what else ""))
    url = ModelSettings().ollama_url
    if not is_reachable(url):
        print(f"no Ollama at {url}, so no model is loaded there")
        return EXIT_OK
    ours = {spec.split(":", 1)[1] for r in runs for spec in r.get("models", {}).values() if spec.startswith("ollama:")}
    ours |= set(control.loaded_noted().get(url, [])) | set(DEFAULT_OLLAMA.values())
    held = loaded_models(url)
    unloaded = unload_ollama_models(url, [n for n in held if args.models == "all" or n in ours])
    control.forget_loaded()
    others = [n for n in held if n not in unloaded]
    print(f"unloaded {len(unloaded)} model(s) from Ollama" + (f": {', '.join(unloaded)}" if unloaded else "")
          + (f"; left loaded (not Ryx's; `ryx stop all --models all` unloads them too): {', '.join(others)}"
             if others else "") + f"; done in {time.monotonic() - started:.1f} s")
    return EXIT_OK


def studio(args: argparse.Namespace) -> int:
    """Serve the graph to LangGraph Studio (`langgraph dev`), and say where to open it."""
    import shutil
    import subprocess
    import sys

    exe = Path(sys.executable).with_name("langgraph")
    cli = str(exe) if exe.exists() else shutil.which("langgraph")
    if not cli:
        raise UsageError("`langgraph` is not installed here: pip install -e '.[studio]' (langgraph-cli[inmem]), "
                         "then run `ryx studio` again.")
    url = f"http://{args.host}:{args.port}"
    print(f"Ryx in LangGraph Studio: https://smith.langchain.com/studio/?baseUrl={url} (the API at {url})\n"
          f"Runs there resolve models like the CLI; their data is under {control.ryx_home()}; "
          "stop them with `ryx stop all`, the server with Ctrl-C.", flush=True)
    folder = control.ryx_home() / "studio"  # the server's own files (its runs, kept across restarts)
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "langgraph.json"
    config.write_text(json.dumps({"dependencies": [str(RYX_ROOT)], "env": {},
                                  "graphs": {"ryx": f"{RYX_ROOT / 'graph' / 'studio.py'}:graph"}}, indent=1))
    command = [cli, "dev", "--config", str(config), "--host", args.host, "--port", str(args.port),
               "--no-browser", "--no-reload", "--allow-blocking"]
    env = {**os.environ, "RYX_HOME": str(control.ryx_home())}
    try:
        return subprocess.run(command, cwd=folder, env=env).returncode
    except KeyboardInterrupt:
        return EXIT_OK


def _wait_or_kill(pids: list[int]) -> list[int]:
    """Wait for the runs to end; SIGKILL those still alive after the grace period (returned)."""
    deadline = time.monotonic() + STOP_GRACE_S
    while pids and time.monotonic() < deadline:
        pids = [p for p in pids if _alive(p)]
        if pids:
            time.sleep(0.05)
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    return pids


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for its parent to reap it counts as gone)."""
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[-1].split()[0] == "Z")


def status(args: argparse.Namespace) -> int:
    target, database = _open(args)
    with database as db:
        mem = Memory(db.store, target)
        print(f"target {target}")
        runs = [r for r in control.live_runs() if r["target"] == str(target)]
        print(f"running: {', '.join(_run_label(r) for r in runs) if runs else 'no'}")
        _print_points(mem, target)
        good = mem.get("skills", "good")
        if good:
            print(f"skills: {good['commit'][:10]} of ryx/improve (the last that ran a whole cycle)")
        for thread, info in mem.all("threads").items():
            unsafe = "" if info.get("sandbox", True) else f", {UNSANDBOXED}"
            print(f"thread {thread}: {info.get('cycles', 0)} cycle(s){unsafe}")
        _print_last_night(mem)
        _print_records("approvals", mem.all("approvals"), "{id} {status} {kind}: {test_id} {before} -> {after} points")
        if mem.all("approvals"):
            print("  (core: it changes paths outside [paths] safe, so only `ryx approve` merges it; "
                  "safe: --auto may merge it when its review is clean)")
        _print_records("tickets", mem.all("tickets"), "{id} {status}: {test_id} ({category}), cycle {cycle}")
        _print_records("parked", mem.all("parked"), "{key} (ticket {ticket})")
        _print_records("quarantined (flaky)", mem.all("quarantine"), "{key}: {reason}")
    return EXIT_OK


def _print_points(mem: Memory, target: Path) -> None:
    """Points of the two branches that matter, each labelled: the head of ryx/improve (the last
    tree the loop scored) and the user's checked-out branch (when a run scored that tree)."""
    history = mem.history()
    if not history:
        print("points: not scored yet (`ryx benchmark` scores your branch, `ryx improve` ryx/improve)")
        return
    by_tree = {entry["scorecard"]["tree"]: entry["scorecard"] for entry in history}
    from benchmark.integrity import tree_hash
    from ryx.gitsafe import SafeRepo

    with SafeRepo(target) as repo:
        branch = repo.active_branch.name if not repo.head.is_detached else "HEAD"
    loop = next((e["scorecard"] for e in reversed(history) if e.get("cycle") is not None), None)
    if loop:
        print(f"points on ryx/improve: {loop['total']}/{loop['max']} (tree {loop['tree'][:10]}, the last the loop scored)")
        for name, cat in sorted(loop["categories"].items()):
            print(f"  {name}: {cat['points']}/{cat['max']}")
    mine = by_tree.get(tree_hash(target))
    if mine:
        print(f"points on your branch {branch}: {mine['total']}/{mine['max']} (as it is now, uncommitted edits included)")
    else:
        print(f"points on your branch {branch}: not scored as it is now (`ryx benchmark` scores it)")
    print("  (points: what the target's benchmark tests are worth, by category; a category is the "
          "`category=` of their points marker)")


def _print_last_night(mem: Memory) -> None:
    """The latest night's model figures: loads per cycle and time per role."""
    from graph.night import Night

    nights = mem.all("nights")
    if not nights:
        return
    night = Night.from_json(max(nights.values(), key=lambda n: n["started"]))
    lines = night.model_lines()
    if lines:
        print(f"night {night.id}: {lines[0]}")
        for line in lines[1:]:
            print(f"  {line}")


def _run_label(run: dict) -> str:
    return str(run["pid"]) + ("" if run.get("sandbox", True) else f" ({UNSANDBOXED})")


def _print_records(title: str, records: dict, line: str) -> None:
    print(f"{title}: {len(records) or 'none'}")
    for key, record in records.items():
        print("  " + line.format(key=key, **record))


def approvals(args: argparse.Namespace) -> int:
    """Every approval; for those not merged yet, every commit a merge would bring, with its paths."""
    target, database = _open(args)
    with database as db:
        mem = Memory(db.store, target)
        records = mem.all("approvals")
        print(f"approvals: {len(records) or 'none'}")
        for record in records.values():
            print("  {id} {status} {kind}: {test_id} {before} -> {after} points".format(**record))
            review = record.get("review")
            if review:
                flag = "FLAGGED " if review["flagged"] else ""
                print(f"    review ({flag}{review.get('verdict') or 'no verdict'}): {review['text']}")
            if record["status"] in ("pending", "approved"):
                _print_commits(pending_commits(mem, target, record["commit"]))
        clones = mem.all("clones")
        print(f"clones proposed by research: {len(clones) or 'none'}")
        for record in clones.values():
            where = f" at {record['path']}" if record.get("path") else ""
            hint = f" (`ryx approve {record['id']}` clones it)" if record["status"] == "pending" else ""
            print(f"  {record['id']} {record['status']}: {record['url']}{where}, for {record['test_id']}{hint}")
    return EXIT_OK


def repos(args: argparse.Namespace) -> int:
    """What local research searches: every known repository and package, and when it was indexed."""
    from graph.repos import list_sources

    db_path = Path(args.db).expanduser().resolve() if args.db else Path(default_db())
    return list_sources(research_folder(db_path), refresh=args.refresh, target=args.target)


def _print_commits(commits: list) -> None:
    for commit in commits:
        mark = "" if commit.known else "  NOT MADE BY RYX: `ryx approve` refuses it"
        print(f"    commit {commit.sha[:10]} {commit.subject}{mark}")
        for path in commit.paths:
            print(f"      {path}")


def approve(args: argparse.Namespace) -> int:
    if args.id.startswith("clone-"):
        return _approve_clone(args)
    target, database = _open(args)
    with database as db:
        record = merge_approval(Memory(db.store, target), target, args.id)
    print(f"merged {record['id']} into {record.get('merged_into', 'your branch')}")
    return EXIT_OK


def _approve_clone(args: argparse.Namespace) -> int:
    """Clone the repository research proposed, into RYX_HOME/clones, and add it to the library
    (indexed by the next research pass of any run that uses this database)."""
    target, database = _open(args)
    with database as db:
        mem = Memory(db.store, target)
        record = mem.require("clones", args.id, "proposed clone")
        if record["status"] == "cloned":
            print(f"{args.id} is already cloned at {record['path']}")
            return EXIT_OK
        path = accept(mem, record, control.ryx_home() / "clones")
        library = Library(research_folder(db.path))
        try:
            library.add([path], "clone")
        finally:
            library.close()
    print(f"cloned {record['url']} into {path}; research searches it from the next cycle on")
    return EXIT_OK


def reject(args: argparse.Namespace) -> int:
    target, database = _open(args)
    with database as db:
        mem = Memory(db.store, target)
        if args.id.startswith("clone-"):
            mem.put("clones", args.id, {**mem.require("clones", args.id, "proposed clone"), "status": "rejected"})
            print(f"rejected {args.id}: it will not be cloned or proposed again")
            return EXIT_OK
        record = find(mem, args.id)
        ws = Workspace(target)
        ws.prepare()
        revert = ws.revert(record["commit"])
        reject_approval(mem, args.id, revert=(revert, ws.tree()))
    print(f"rejected {args.id}: reverted on ryx/improve; your branch was not touched")
    return EXIT_OK


def note(args: argparse.Namespace) -> int:
    target, database = _open(args)
    with database as db:
        mem = Memory(db.store, target)
        _check_test_id(mem, args.test_id)
        mem.put("notes", args.test_id, {"text": args.text})
        mem.delete("parked", args.test_id)
    print(f"noted for {args.test_id}; it will be worked on again in the next cycle")
    return EXIT_OK


def show(args: argparse.Namespace) -> int:
    """The whole record of an attempt (`c3-a1-t2`), a ticket, or a commit Ryx landed."""
    from graph.show import record_text

    target, database = _open(args)
    with database as db:
        print(record_text(Memory(db.store, target), target, args.id))
    return EXIT_OK


def _check_test_id(mem: Memory, test_id: str) -> None:
    """A note is for a test Ryx knows (a benchmark test it scored, or one it escalated), or `*`."""
    if test_id == "*":
        return
    known = {t["test_id"] for t in mem.all("tickets").values()} | set(mem.all("parked"))
    for entry in mem.history()[-1:]:
        known |= set(entry["scorecard"].get("tests", {}))
    if test_id not in known:
        parked = ", ".join(mem.all("parked")) or "none"
        raise UsageError(f"no benchmark test {test_id!r} is known for {mem.root}. Parked (escalated) tests: "
                         f"{parked}. Use a test id as `ryx status` shows it, or * for the whole target.")


def report(args: argparse.Namespace) -> int:
    """Chart (PNG) and summary (Markdown) of the stored scorecards, beside the database."""
    from graph.report import write_report

    if args.night:
        return night_report(args)
    target, database = _open(args)
    with database as db:
        written = write_report(Memory(db.store, target), target, db.path.parent)
        where = db.path
    if written is None:
        print(f"no scorecard stored for {target} in {where} yet, so no report was written. "
              f"Run `ryx benchmark --target {target}` or `ryx improve --target {target}` first "
              "(with the same --db), then `ryx report` again.")
        return EXIT_OK
    print(f"chart written: {written.chart}")
    print(f"report written: {written.markdown}")
    return EXIT_OK


def night_report(args: argparse.Namespace) -> int:
    """`ryx report --night latest|ID`: a night's morning report again, and its summary."""
    from graph.morning import write_night_report
    from graph.night import Night

    target, database = _open(args)
    with database as db:
        mem = Memory(db.store, target)
        nights = mem.all("nights")
        if not nights:
            raise UsageError(f"no night of {target} is stored in {db.path} yet; run `ryx improve` first.")
        key = max(nights, key=lambda k: nights[k]["started"]) if args.night == "latest" else args.night
        if key not in nights:
            raise UsageError(f"no night {args.night!r} of {target}; known: {', '.join(sorted(nights))}, or `latest`.")
        night = Night.from_json(nights[key])
        written = write_night_report(mem, night, db.path.parent)
    for line in night.summary_lines():
        print(line)
    print(f"report written: {written.markdown}")
    return EXIT_OK
