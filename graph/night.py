"""The account of one night (one CLI run): what each cycle ended in, faults survived, points at
the start and the end, where the time went. Stored in memory after every cycle, so a run that
is killed still leaves its account; the morning report is written from it."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

from graph.progress import Tally


@dataclass
class Night:
    id: str
    target: str
    thread: str
    started: float
    sandbox: bool = True
    ended: float | None = None
    ending: str = ""  # why the night ended
    first_card: dict[str, Any] | None = None
    last_card: dict[str, Any] | None = None
    outcomes: list[dict[str, Any]] = field(default_factory=list)  # {cycle, kind, summary, commit, ticket}
    faults: list[dict[str, Any]] = field(default_factory=list)  # {at, cycle, kind, message, action}
    skills: list[str] = field(default_factory=list)  # skills commits the cycles ran
    followed: list[dict[str, Any]] = field(default_factory=list)  # how ryx/improve caught up with the user
    seconds: dict[str, float] = field(default_factory=dict)  # model, benchmark, wall
    loads: dict[str, int] = field(default_factory=dict)  # model loads per role
    roles: dict[str, dict[str, float]] = field(default_factory=dict)  # per role: seconds, calls, tokens, load_s
    unloads: int = 0
    tally: Tally = field(default_factory=Tally)
    cycle: int | None = None  # the cycle the stream is in now

    @classmethod
    def begin(cls, target: str, thread: str, sandbox: bool) -> Night:
        now = time.time()
        return cls(id=time.strftime("%Y%m%d-%H%M%S", time.localtime(now)), target=target,
                   thread=thread, started=now, sandbox=sandbox)

    def see(self, node: str, update: dict[str, Any] | None) -> None:
        """One node's update from the stream."""
        update = update or {}
        self.tally.see(node, update)
        if node == "route" and "cycle" in update:
            self.cycle = update["cycle"]
            self._cycle_start(update)
        if node == "benchmark" and update.get("baseline"):
            self.first_card = self.first_card or update["baseline"]
            self.last_card = update["baseline"]
        outcome = update.get("outcome")
        if outcome:
            self.outcomes.append({"cycle": self.cycle, **outcome})

    def _cycle_start(self, update: dict[str, Any]) -> None:
        if update.get("followed"):
            self.followed.append({"cycle": self.cycle, **update["followed"]})
        if update.get("skills") and update["skills"] not in self.skills:
            self.skills.append(update["skills"])
        for line in update.get("skills_reverted") or []:
            self.fault(self.cycle, "SkillsBroken", line, "reverted on ryx/improve")

    def fault(self, cycle: int | None, kind: str, message: str, action: str, trace: str = "",
              waited_s: float = 0.0) -> None:
        self.faults.append({"at": time.time(), "cycle": cycle, "kind": kind, "message": message[:2000],
                            "action": action, "traceback": trace[-8000:], "waited_s": round(waited_s, 1)})

    def finish(self, ending: str, meter: dict[str, dict[str, float]]) -> None:
        self.ended = time.time()
        self.ending = ending
        seconds = meter.get("seconds", {})
        self.seconds = {"model": round(seconds.get("model", 0.0), 1),
                        "benchmark": round(seconds.get("benchmark", 0.0), 1),
                        "faults": round(sum(f.get("waited_s", 0.0) for f in self.faults), 1),
                        "wall": round(self.ended - self.started, 1)}
        counts = meter.get("counts", {})
        self.loads = {k.split(":", 1)[1]: int(v) for k, v in counts.items() if k.startswith("load:")}
        self.unloads = int(counts.get("unloads", 0))
        self.roles = {role: {"seconds": round(seconds.get(f"role:{role}", 0.0), 1),
                             "calls": int(counts.get(f"calls:{role}", 0)),
                             "tokens_in": int(counts.get(f"tokens_in:{role}", 0)),
                             "tokens_out": int(counts.get(f"tokens_out:{role}", 0)),
                             "load_s": round(seconds.get(f"load_s:{role}", 0.0), 1)}
                      for role in sorted({k.split(":", 1)[1] for k in counts if k.startswith("calls:")})}

    def model_lines(self) -> list[str]:
        """Loads per cycle against the goal (no more than the roles used), and time per role."""
        if not self.roles:
            return []
        cycles = max(self.tally.cycles, 1)
        loads = sum(self.loads.values())
        lines = [f"model loads: {loads} in {cycles} cycle(s), {loads / cycles:.1f} a cycle "
                 f"(goal: at most {len(self.roles)}, the roles used); {self.unloads} unload(s) to stay in budget"]
        lines += [f"{role}: {r['seconds']:.0f} s in {r['calls']} call(s), {r['tokens_in']} tokens in, "
                  f"{r['tokens_out']} out, {r['load_s']:.1f} s loading" for role, r in self.roles.items()]
        return lines

    def to_json(self) -> dict[str, Any]:
        record = asdict(self)
        record["tally"] = asdict(self.tally)
        return record

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> Night:
        data = {k: v for k, v in record.items() if k in cls.__dataclass_fields__}
        data["tally"] = Tally(**data.get("tally", {}))
        return cls(**data)

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [o for o in self.outcomes if o["kind"] == kind]

    def summary_lines(self) -> list[str]:
        """The night on the terminal, before the one-line summary."""
        lines = [f"Night {self.id}: {self.tally.cycles} cycle(s), ended: {self.ending or 'running'}"]
        if self.first_card and self.last_card:
            for name, now in sorted(self.last_card["categories"].items()):
                before = self.first_card["categories"].get(name, {"points": 0})
                lines.append(f"  {name}: {before['points']} -> {now['points']} of {now['max']}")
        lines += [f"  landed: {o['summary']}" for o in self.of_kind("landed")]
        lines += [f"  escalated: {o['summary']}" for o in self.of_kind("escalated")]
        lines += [f"  followed your branch (cycle {f['cycle']}): {f['detail']}" for f in self.followed]
        lines += [f"  fault survived (cycle {f['cycle']}): {f['kind']}: {f['message'][:120]} ({f['action']})"
                  for f in self.faults]
        s = self.seconds
        if s:
            lines.append(f"  time: model {s['model']:.0f} s, benchmark {s['benchmark']:.0f} s, waiting out "
                         f"faults {s.get('faults', 0):.0f} s, overhead {overhead(s):.0f} s of {s['wall']:.0f} s")
        if self.loads:
            lines.append("  model loads: " + ", ".join(f"{role} {n}" for role, n in sorted(self.loads.items())))
        lines += [f"  {line}" for line in self.model_lines()[1:]]
        return lines


def overhead(seconds: dict[str, float]) -> float:
    """The night's own time: neither a model, nor a benchmark, nor waiting out a fault."""
    spent = seconds["model"] + seconds["benchmark"] + seconds.get("faults", 0.0)
    return max(seconds["wall"] - spent, 0.0)
