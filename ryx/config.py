"""A target's configuration: `ryx.toml` at its root, or `[tool.ryx]` in its pyproject.toml.

Unknown keys are errors that name the key, so a typo never silently does nothing.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ryx.benchspec import BenchSpec
from ryx.errors import ConfigError

EDIT_FORMATS = ("auto", "search_replace", "whole_file", "whole_function")
ROLES = ("intent", "reasoning", "coding", "supervisor")

# Paths that can change what the benchmark collects or how it scores (DESIGN: protected).
ALWAYS_PROTECTED = (
    "**/conftest.py", "conftest.py", "pytest.ini", "tox.ini", "setup.cfg",
    "**/sitecustomize.py", "sitecustomize.py", "**/usercustomize.py", "usercustomize.py",
    "**/*.pth", "*.pth", "ryx.toml",
)
DEFAULT_SAFE = ("tests/**", "data/**", "**/*.json", "**/*.csv", "**/*.txt")


@dataclass(frozen=True)
class FaultPolicy:
    """How an all-night run survives faults ([loop] in ryx.toml)."""

    max_same: int = 5  # consecutive faults of one kind that end the night
    backoff_cap_s: float = 60.0  # the longest wait before a cycle is retried
    model_wait_s: float = 1800.0  # how long to wait for a model server that went away


@dataclass(frozen=True)
class RyxConfig:
    """Everything the loop needs to know about one target."""

    root: Path
    source: str = "defaults"
    benchmark: BenchSpec = field(default_factory=BenchSpec)
    safe: tuple[str, ...] = DEFAULT_SAFE
    models: dict[str, str] = field(default_factory=dict)
    research_roots: tuple[Path, ...] = ()  # [research] roots: where to find repos (default: home)
    research_exclude: tuple[str, ...] = ()  # [research] exclude: globs of paths or folder names
    online: bool = True
    searx_url: str | None = None  # [research] searx_url: a SearXNG instance instead of ddgs
    web_ttl_s: float = 24 * 3600.0  # [research] cache_hours: how long a web result is reused
    edit_format: str = "auto"
    max_diff_lines: int = 400
    context_files: int = 6
    faults: FaultPolicy = field(default_factory=lambda: FaultPolicy())
    lint_rules: tuple[str, ...] = ("E9", "F821", "F401", "F841", "T201")  # [quality] lint; () = off
    keep_docs: bool = True  # [quality] keep_docs: refuse candidates that drop docstrings/comments
    samples: int | dict[str, int] | None = None  # [models] samples: per attempt, or {model: n}
    notes: tuple[str, ...] = ()  # choices made for the user, said once at the start of a run
    vram_gb: float | None = None  # [models] vram_gb: memory for Ollama models (None: detected)
    ram_gb: float = 0.0  # [models] ram_gb: RAM a model may spill into, only with num_gpu
    num_gpu: int | None = None  # [models] num_gpu: layers on the GPU (CPU offload on purpose)
    num_ctx: int = 8192  # [models] num_ctx: the context every model gets (Ollama's default is 2048)
    keep_alive: str = "10m"  # [models] keep_alive: how long Ollama keeps an idle model loaded
    timeout_s: float = 300.0  # [models] timeout_s: the longest wait for one model reply

    def samples_for(self, spec: str, default: int) -> int:
        """Candidates an attempt draws from the model `spec` (`ollama:NAME` or its bare NAME)."""
        if isinstance(self.samples, int):
            return self.samples
        table = self.samples or {}
        bare = spec.partition(":")[2]
        return table.get(spec, table.get(bare, default))


# The schema: table -> {key: expected type}. Used to reject unknown keys and wrong types.
_SCHEMA: dict[str, dict[str, type | tuple[type, ...]]] = {
    "benchmark": {
        "paths": list, "test_timeout_s": (int, float), "run_timeout_s": (int, float),
        "memory_mb": int, "python": str, "command": str, "confirm_runs": int,
        "plugin_autoload": bool,
    },
    "paths": {"protected": list, "safe": list},
    "models": {**{role: str for role in ROLES}, "samples": (int, dict), "vram_gb": (int, float),
               "ram_gb": (int, float), "num_gpu": int, "num_ctx": int, "keep_alive": str,
               "timeout_s": (int, float)},
    "research": {"roots": list, "exclude": list, "online": bool, "searx_url": str, "cache_hours": (int, float)},
    "quality": {"lint": list, "keep_docs": bool},
    "loop": {"edit_format": str, "max_diff_lines": int, "context_files": int, "max_faults": int,
             "fault_backoff_s": (int, float), "model_wait_s": (int, float)},
}


def load_config(target: Path) -> RyxConfig:
    """Read the target's configuration, or its defaults when it has none."""
    root = Path(target).resolve()
    raw, source = _read_raw(root)
    _check_schema(raw, source)
    return _build(root, raw, source)


def _read_raw(root: Path) -> tuple[dict[str, Any], str]:
    ryx_toml = root / "ryx.toml"
    if ryx_toml.is_file():
        return _parse_toml(ryx_toml), str(ryx_toml)
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        tool = _parse_toml(pyproject).get("tool", {})
        if "ryx" in tool:
            return tool["ryx"], f"{pyproject} [tool.ryx]"
    return {}, "defaults"


def _parse_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}. Fix that line and run again.") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text ({exc}); save it as UTF-8.") from exc


def _check_schema(raw: dict[str, Any], source: str) -> None:
    for table, value in raw.items():
        if table not in _SCHEMA:
            raise ConfigError(_unknown(table, _SCHEMA, source, "table"))
        if not isinstance(value, dict):
            raise ConfigError(f"{source}: `{table}` must be a table ([{table}]), not {value!r}.")
        for key, item in value.items():
            expected = _SCHEMA[table].get(key)
            if expected is None:
                raise ConfigError(_unknown(f"{table}.{key}", _SCHEMA[table], source, "key"))
            if isinstance(item, bool) and expected is not bool or not isinstance(item, expected):
                raise ConfigError(
                    f"{source}: `{table}.{key}` has the wrong type ({type(item).__name__}); "
                    f"expected {_type_name(expected)}."
                )


def _unknown(name: str, known: dict[str, Any], source: str, what: str) -> str:
    valid = ", ".join(sorted(known))
    return f"{source}: unknown {what} `{name}`. Valid {what}s here: {valid}. Remove or rename it."


def _type_name(expected: type | tuple[type, ...]) -> str:
    types = expected if isinstance(expected, tuple) else (expected,)
    return " or ".join(t.__name__ for t in types)


def _strings(value: list[Any], name: str, source: str) -> tuple[str, ...]:
    if not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{source}: `{name}` must be a list of strings, got {value!r}.")
    return tuple(value)


def _build(root: Path, raw: dict[str, Any], source: str) -> RyxConfig:
    bench_raw = dict(raw.get("benchmark", {}))
    paths = raw.get("paths", {})
    research = raw.get("research", {})
    loop = raw.get("loop", {})
    quality = raw.get("quality", {})
    if "paths" in bench_raw:
        bench_raw["paths"] = _strings(bench_raw["paths"], "benchmark.paths", source)
    if "python" in bench_raw and (root / bench_raw["python"]).is_file():
        # `.venv/bin/python` means the target's own environment, wherever the tree is scored
        bench_raw["python"] = str((root / bench_raw["python"]).absolute())
    extra_protected = _strings(paths.get("protected", []), "paths.protected", source)
    notes = []
    if "paths" not in bench_raw and "command" not in bench_raw and not (root / "benchmark").is_dir():
        bench_raw["paths"] = ()
        notes.append("no benchmark/ folder and no [benchmark] paths: every test pytest collects at the "
                     "target's root counts 1 point, its file its category")
    bench = BenchSpec(**bench_raw, protected=ALWAYS_PROTECTED + extra_protected)
    _check_values(bench, loop, research, source)
    roots = _strings(research.get("roots", []), "research.roots", source)
    return RyxConfig(
        root=root,
        source=source,
        benchmark=bench,
        safe=_strings(paths.get("safe", list(DEFAULT_SAFE)), "paths.safe", source),
        models={k: v for k, v in raw.get("models", {}).items() if k in ROLES},
        research_roots=tuple((root / Path(r).expanduser()).resolve() for r in roots),
        research_exclude=_strings(research.get("exclude", []), "research.exclude", source),
        online=research.get("online", True),
        searx_url=research.get("searx_url") or None,
        web_ttl_s=float(research.get("cache_hours", 24)) * 3600,
        edit_format=loop.get("edit_format", "auto"),
        max_diff_lines=loop.get("max_diff_lines", 400),
        context_files=loop.get("context_files", 6),
        faults=FaultPolicy(max_same=loop.get("max_faults", 5), backoff_cap_s=loop.get("fault_backoff_s", 60),
                           model_wait_s=loop.get("model_wait_s", 1800)),
        lint_rules=_strings(quality.get("lint", list(RyxConfig.lint_rules)), "quality.lint", source),
        keep_docs=quality.get("keep_docs", True),
        samples=_samples(raw.get("models", {}).get("samples"), source),
        notes=tuple(notes),
        **_memory(raw.get("models", {}), source),
    )


def _memory(models: dict[str, Any], source: str) -> dict[str, Any]:
    """[models] vram_gb, ram_gb and num_gpu, checked."""
    vram, ram, layers = models.get("vram_gb"), models.get("ram_gb", 0), models.get("num_gpu")
    if vram is not None and not 0 < vram <= 1024:
        raise ConfigError(f"{source}: `models.vram_gb` must be between 0 and 1024 GB, got {vram!r}.")
    if ram < 0 or ram and layers is None:
        raise ConfigError(f"{source}: `models.ram_gb` ({ram!r}) needs `models.num_gpu` (how many layers stay "
                          "on the GPU): CPU offload is only ever on purpose.")
    if layers is not None and layers < 0:
        raise ConfigError(f"{source}: `models.num_gpu` must be 0 or more layers, got {layers!r}.")
    num_ctx, timeout = models.get("num_ctx", 8192), models.get("timeout_s", 300)
    if not 512 <= num_ctx <= 1_048_576:
        raise ConfigError(f"{source}: `models.num_ctx` must be between 512 and 1048576 tokens, got {num_ctx!r}.")
    if timeout <= 0:
        raise ConfigError(f"{source}: `models.timeout_s` must be more than 0 seconds, got {timeout!r}.")
    return {"vram_gb": None if vram is None else float(vram), "ram_gb": float(ram), "num_gpu": layers,
            "num_ctx": num_ctx, "keep_alive": models.get("keep_alive", "10m"), "timeout_s": float(timeout)}


def _samples(value: int | dict[str, Any] | None, source: str) -> int | dict[str, int] | None:
    """`samples = 4`, or `[models.samples]` with a count per model name; each 1..32."""
    counts = value.values() if isinstance(value, dict) else [] if value is None else [value]
    for count in counts:
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 32:
            raise ConfigError(f"{source}: `models.samples` takes whole numbers from 1 to 32, got {count!r}.")
    return value


def _check_values(bench: BenchSpec, loop: dict[str, Any], research: dict[str, Any], source: str) -> None:
    checks = [
        (bench.test_timeout_s > 0, "benchmark.test_timeout_s must be > 0"),
        (bench.run_timeout_s > 0, "benchmark.run_timeout_s must be > 0"),
        (bench.memory_mb >= 64, "benchmark.memory_mb must be at least 64"),
        (bench.confirm_runs >= 0, "benchmark.confirm_runs must be >= 0"),
        (loop.get("edit_format", "auto") in EDIT_FORMATS,
         f"loop.edit_format must be one of {', '.join(EDIT_FORMATS)}"),
        (loop.get("max_diff_lines", 1) > 0, "loop.max_diff_lines must be > 0"),
        (loop.get("max_faults", 1) >= 1, "loop.max_faults must be at least 1"),
        (loop.get("fault_backoff_s", 0) >= 0, "loop.fault_backoff_s must be >= 0"),
        (loop.get("model_wait_s", 0) >= 0, "loop.model_wait_s must be >= 0"),
        (research.get("cache_hours", 0) >= 0, "research.cache_hours must be >= 0"),
        (str(research.get("searx_url", "http://")).startswith(("http://", "https://")),
         "research.searx_url must be an http:// or https:// address, like http://localhost:8888"),
    ]
    for ok, message in checks:
        if not ok:
            raise ConfigError(f"{source}: {message}.")

