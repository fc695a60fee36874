"""One CLI run: resolve target and models, open the database, run cycles, print progress."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from graph.morning import write_night_report
from graph.night import Night
from graph.progress import check_sandbox, describe
from graph.supervisor import NightOver, Supervisor
from ryx import control
from ryx.checkpoints import open_database, prune_thread
from ryx.config import load_config
from ryx.errors import EXIT_OK, EXIT_STOPPED, UsageError
from ryx.gitops import Workspace, open_target
from ryx.memory import Memory
from ryx.skillset import SkillsBroken, remember_good, revert_broken
from state.context import Context, default_db, default_target

IDLE_WAIT_S = 60.0
MAX_BROKEN_SKILLS = 3  # skills reverted in one night before it ends


class Session:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.night: Night | None = None
        self.fresh = False  # start the next cycle afresh even if the last one did not finish
        self.broken_skills = 0

    def run(self) -> int:
        from ryx.models import check_available, describe_choice, resolve_specs, settings_for

        target = open_target(self.args.target or default_target())
        config = load_config(target)
        _check_usable(target, config)
        for note in config.notes:
            print(f"benchmark: {note}", flush=True)
        settings = settings_for(config)
        overrides = {**config.models, **parse_overrides(self.args.model)}
        specs = resolve_specs(self.args.provider, overrides, self.args.replay, settings)
        print(describe_choice(specs), flush=True)
        check_available(specs, settings)
        check_sandbox(not self.args.no_sandbox)
        db_path = str(Path(self.args.db).expanduser().resolve()) if self.args.db else default_db()
        ctx = self._context(target, db_path, specs)
        workspace = Workspace(target)
        with open_database(db_path) as db, workspace.exclusive():
            control.clear_stop(db_path)
            control.register_run({"kind": "improve", "target": str(target), "db": db_path, "models": specs,
                                  "sandbox": ctx.sandbox})
            try:
                workspace.prepare()
                return self._cycles(target, ctx, db, workspace)
            finally:
                workspace.remove()
                control.unregister_run()
                from nodes.support import stop_research, unload_all_models

                stop_research()
                unload_all_models()

    def _context(self, target: Path, db_path: str, specs: dict[str, str]) -> Context:
        interactive = sys.stdin.isatty() and not self.args.infinite and not self.args.unattended
        return Context(target=str(target), db=db_path, intent_model=specs["intent"],
                       reasoning_model=specs["reasoning"], coding_model=specs["coding"],
                       supervisor_model=specs.get("supervisor", ""), auto=self.args.auto,
                       interactive=interactive, offline=self.args.offline,
                       sandbox=not self.args.no_sandbox)

    def _cycles(self, target: Path, ctx: Context, db, workspace: Workspace) -> int:
        from graph.builder import build_graph
        from nodes.support import research_library, services_for

        graph = build_graph().compile(checkpointer=db.saver, store=db.store)
        mem = Memory(db.store, target)
        thread = self._thread(target, mem)
        config = {"configurable": {"thread_id": thread}}
        print(f"target {target} | thread {thread} | db {db.path}", flush=True)
        svc = services_for(ctx)
        try:
            research_library(svc)  # finds and indexes the machine's repos in the background
        except OSError as exc:
            print(f"research library not started ({exc}); local research tries again each cycle", flush=True)
        night = self.night = Night.begin(str(target), thread, ctx.sandbox)
        supervisor = Supervisor(svc.config.faults, night, workspace=workspace,
                                stopped=lambda: control.stop_requested(ctx.db_path), model_url=_ollama_url(ctx))
        ending = "a fatal fault"
        try:
            code, ending = self._night(graph, config, ctx, mem, db, supervisor)
            return code
        except KeyboardInterrupt:
            ending = "stopped"
            raise
        except NightOver:
            ending = "a fault that kept coming back"
            raise
        finally:
            self._close_night(mem, db.path.parent, svc.meter.snapshot(), ending)

    def _night(self, graph, config: dict, ctx: Context, mem: Memory, db, supervisor) -> tuple[int, str]:
        """Cycles until done, idle-waiting under --infinite; (exit code, why the night ended)."""
        done, workspace, self.ctx = 0, supervisor.workspace, ctx
        while self.args.infinite or done < self.args.cycles:
            try:
                outcome = self._one_cycle(graph, config, ctx)
            except SkillsBroken as broken:
                self._skills_broke(broken, mem, supervisor)
                continue
            except Exception as exc:
                if not self.args.infinite:
                    raise
                self._absorb_healed(workspace)
                supervisor.survive(exc, self.night.cycle)
                continue
            supervisor.cycle_done()
            self._absorb_healed(workspace)
            remember_good(mem, graph.get_state(config).values.get("skills"))
            self._after_cycle(graph, config, ctx, mem, db)
            done += 1
            if outcome and outcome["kind"] == "idle" and self.args.infinite:
                self._wait_while_idle(ctx)
            if outcome and outcome["kind"] == "stopped" or control.stop_requested(ctx.db_path):
                return EXIT_STOPPED, "stopped on request"
        return EXIT_OK, f"{done} cycle(s) done" if not self.args.infinite else "stopped"

    def _absorb_healed(self, workspace: Workspace) -> None:
        """What the loop's workspaces repaired on their own goes into the night's account."""
        from nodes.support import services_for

        for ws in (workspace, services_for(self.ctx).workspace):
            for line in ws.take_healed():
                self.night.fault(self.night.cycle, "WorktreeMissing", line, "recreated, the cycle went on")

    def _skills_broke(self, broken: SkillsBroken, mem: Memory, supervisor: Supervisor) -> None:
        """Skills landed on ryx/improve crashed mid-cycle: revert them there, start the cycle
        again with the skills that are left (the night goes on)."""
        self.broken_skills += 1
        if self.broken_skills > MAX_BROKEN_SKILLS:
            raise NightOver(f"skills broke the loop {self.broken_skills} times tonight ({broken}); "
                            "the night ends here.")
        line = revert_broken(supervisor.workspace, mem, broken)
        print(f"  skills broke the loop: {line}", flush=True)
        self.night.fault(self.night.cycle, "SkillsBroken", line, "reverted on ryx/improve; the cycle starts again")
        self.fresh = True

    def _after_cycle(self, graph, config: dict, ctx: Context, mem: Memory, db) -> None:
        thread = config["configurable"]["thread_id"]
        cycle = graph.get_state(config).values.get("cycle", 0)
        sandboxed = ctx.sandbox and (mem.get("threads", thread) or {}).get("sandbox", True)
        mem.put("threads", thread, {"target": ctx.target, "cycles": cycle, "sandbox": sandboxed})
        mem.put("nights", self.night.id, self.night.to_json())
        prune_thread(db.saver, thread)
        from nodes.support import research_library, services_for

        research_library(services_for(ctx)).kick()  # one incremental refresh of the library per cycle

    def _close_night(self, mem: Memory, out_dir: Path, meter: dict, ending: str) -> None:
        """The morning report, written without being asked, and the night on the terminal."""
        night = self.night
        night.finish(ending, meter)
        latest = (mem.history() or [{}])[-1]
        if latest.get("at", 0) >= night.started and night.first_card:  # a landing's scorecard
            night.last_card = latest["scorecard"]
        mem.put("nights", night.id, night.to_json())
        for line in night.summary_lines():
            print(line, flush=True)
        try:
            written = write_night_report(mem, night, out_dir)
            print(f"  report: {written.markdown}", flush=True)
        except Exception as exc:  # the account is stored; `ryx report --night` can try again
            print(f"ryx: the night's report could not be written ({exc}); `ryx report --night "
                  f"{night.id}` tries again.", file=sys.stderr, flush=True)
        print(night.tally.summary(night.target, sandboxed=night.sandbox), flush=True)

    def _wait_while_idle(self, ctx: Context) -> None:
        """Nothing to work on: check again later (a `ryx note` may unpark a test), unless stopped."""
        print(f"  idle: checking again in {IDLE_WAIT_S:.0f} s (`ryx note` unparks a test)", flush=True)
        deadline = time.monotonic() + IDLE_WAIT_S
        while time.monotonic() < deadline and not control.stop_requested(ctx.db_path):
            time.sleep(1)

    def _thread(self, target: Path, mem: Memory) -> str:
        if self.args.thread:
            known = mem.all("threads")
            if self.args.resume and self.args.thread not in known:
                raise UsageError(f"--resume --thread {self.args.thread}: no such thread of {target}; known: "
                                 f"{', '.join(known) or 'none'} (`ryx status` lists them).")
            return self.args.thread
        if self.args.resume:
            threads = mem.all("threads")
            if threads:
                return max(threads.items(), key=lambda kv: kv[1]["updated"])[0]
            print("no earlier thread of this target: starting a new one", flush=True)
        thread = default_thread(target)
        mem.put("threads", thread, {"target": str(target), "cycles": 0})
        return thread

    def _one_cycle(self, graph, config: dict, ctx: Context) -> dict | None:
        snapshot = graph.get_state(config)
        self.night.cycle = snapshot.values.get("cycle")
        resume = bool(snapshot.next) and not self.fresh
        payload = None if resume else {"focus": self.args.focus}
        self.fresh = False
        if resume:
            print(f"resuming cycle {snapshot.values.get('cycle')} at {', '.join(snapshot.next)}", flush=True)
            if snapshot.values.get("baseline"):  # the points this cycle started from, for the summary
                self.night.see("benchmark", {"baseline": snapshot.values["baseline"]})
        while True:
            self._stream(graph, payload, config, ctx)
            snapshot = graph.get_state(config)
            if not snapshot.interrupts:
                return snapshot.values.get("outcome")
            payload = self._answer(snapshot.interrupts, ctx)

    def _stream(self, graph, payload, config: dict, ctx: Context) -> None:
        for chunk in graph.stream(payload, config, context=ctx, stream_mode="updates", durability="sync"):
            for node, update in chunk.items():
                if node.startswith("__"):
                    continue
                self.night.see(node, update)
                line = describe(node, update)
                if line:
                    print(line, flush=True)

    def _answer(self, interrupts, ctx: Context):
        """Ask each pending question on the terminal; unattended runs answer 'later'."""
        from langgraph.types import Command

        answers = {}
        for intr in interrupts:
            question = intr.value.get("question", str(intr.value)) if isinstance(intr.value, dict) else str(intr.value)
            if ctx.interactive:
                print(question, flush=True)
                answers[intr.id] = input("> ")
            else:
                answers[intr.id] = ""
        return Command(resume=answers)


def _check_usable(target: Path, config) -> None:
    """Refuse a target whose benchmark cannot run, before anything (a branch, a worktree) is
    made in it."""
    from ryx.gitops import missing_at_head

    missing = missing_at_head(target, list(config.benchmark.paths))
    if missing:
        raise UsageError(
            f"the benchmark path(s) {', '.join(missing)} of {config.source} are not in {target}'s last commit. "
            "Commit them, or set [benchmark] paths in ryx.toml to the folder of your points tests "
            "(paths = [] counts every test 1 point).")


def parse_overrides(items: list[str]) -> dict[str, str]:
    overrides = {}
    for item in items:
        role, sep, name = item.partition("=")
        if not sep or not role or not name:
            raise UsageError(f"--model {item!r} is not ROLE=NAME (e.g. --model coding=qwen2.5-coder:7b).")
        overrides[role.strip()] = name.strip()
    return overrides


def default_thread(target: Path) -> str:
    return f"{target.name}-{time.strftime('%Y%m%d-%H%M%S')}"


def _ollama_url(ctx: Context) -> str | None:
    """The model server to wait for when it goes away, if any role uses Ollama."""
    if not any(spec.startswith("ollama:") for spec in ctx.specs().values()):
        return None
    from ryx.models import ModelSettings

    return ModelSettings().ollama_url
