"""Which model answers each role, and the one loader that builds and unloads them.

Specs are strings: `ollama:qwen2.5:3b`, `embedded:smollm2` (or `embedded:/path/x.gguf`),
`replay:/abs/file.jsonl`. Heavy libraries load only when a model is built, so importing this
module (and `python -m graph.run --help`) stays fast.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ryx import control, embedded, ollama
from ryx.budget import SizeBook, detect_vram_gb, smaller_fitting
from ryx.errors import ConfigError, EnvironmentMissing, UsageError
from ryx.meter import Meter
from ryx.ollama import unload_ollama_models

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from ryx.replay import ReplayScript

__all__ = [
    "DEFAULT_OLLAMA", "PROVIDERS", "ROLES", "ModelPool", "ModelSettings", "ModelSpecs", "default_samples", "varied",
    "check_available", "describe_choice", "resolve_specs", "split_spec", "unload_ollama_models",
]

ROLES = ("intent", "reasoning", "coding", "supervisor")
PROVIDERS = ("auto", "ollama", "embedded", "replay")
DEFAULT_OLLAMA = {
    "intent": "qwen2.5:3b",
    "reasoning": "phi4:14b",
    "coding": "qwen2.5-coder:14b",
    "supervisor": "phi4:14b",
}
PROBE_TIMEOUT_S = 1.0
UNLOAD_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class ModelSettings:
    """How models are run; `ollama_url` defaults to OLLAMA_HOST or the local server."""

    ollama_url: str = field(default_factory=ollama.default_url)
    num_ctx: int = 8192
    timeout_s: float = 300
    temperature: float = 0.2
    keep_alive: str = "10m"
    max_resident: int = 4  # Ollama models held at once; the memory budget usually binds first
    max_tokens: int = 2048
    vram_gb: float | None = None  # the model memory budget; None: detected (ryx.budget)
    ram_gb: float = 0.0  # with num_gpu set: the part of a model allowed in RAM instead
    num_gpu: int | None = None  # layers on the GPU; set it to offload the rest to the CPU

    def __post_init__(self) -> None:
        object.__setattr__(self, "ollama_url", ollama.normalize_url(self.ollama_url))
        if self.max_resident < 1:
            raise ConfigError(f"max_resident must be at least 1, not {self.max_resident}.")


def settings_for(config: Any) -> ModelSettings:
    """The model settings a target's [models] table asks for (the rest stay the defaults)."""
    return ModelSettings(num_ctx=config.num_ctx, keep_alive=config.keep_alive, timeout_s=config.timeout_s,
                         vram_gb=config.vram_gb, ram_gb=config.ram_gb, num_gpu=config.num_gpu)


class ModelSpecs(dict):
    """{role: spec}, plus `note`: why this provider was chosen (shown by describe_choice)."""

    note: str = ""


def split_spec(spec: str) -> tuple[str, str]:
    """`ollama:qwen2.5:3b` -> ("ollama", "qwen2.5:3b"); a bare name -> ("", name)."""
    head, sep, rest = spec.partition(":")
    if sep and head in PROVIDERS[1:]:
        return head, rest
    return "", spec


def resolve_specs(
    provider: str,
    overrides: Mapping[str, str],
    replay_file: str | None,
    settings: ModelSettings,
) -> ModelSpecs:
    """Pick a spec for every role.

    `auto` takes Ollama when it answers `/api/tags` within about a second, else the
    embedded model; under an auto fallback, bare override names (Ollama names) give way to
    the embedded model, while names with an explicit `provider:` prefix are kept.
    """
    chosen, note = _choose_provider(provider, replay_file, settings)
    specs = ModelSpecs({role: _default_spec(chosen, role, replay_file) for role in ROLES})
    specs.note = note
    dropped = []
    for role, name in overrides.items():
        if role not in ROLES:
            raise UsageError(
                f"unknown model role {role!r} in --model {role}={name}; "
                f"the roles are {', '.join(ROLES)}."
            )
        spec = _override_spec(name, chosen, fallback=bool(note))
        if spec:
            specs[role] = spec
        else:
            dropped.append(f"{role}={name}")
    if dropped:  # said out loud: a choice of the user's that this run cannot honour
        specs.note += (f"; {', '.join(dropped)} needs Ollama, so the embedded model answers "
                       f"{'that role' if len(dropped) == 1 else 'those roles'} instead (start Ollama, "
                       "or write ollama:NAME to insist and fail)")
    return specs


def _choose_provider(
    provider: str, replay_file: str | None, settings: ModelSettings
) -> tuple[str, str]:
    if provider not in PROVIDERS:
        raise UsageError(f"unknown provider {provider!r}; use one of {', '.join(PROVIDERS)}.")
    if replay_file and provider not in ("auto", "replay"):
        raise UsageError(f"--replay {replay_file} needs --provider replay, not {provider}.")
    if provider == "replay" and not replay_file:
        raise UsageError("--provider replay needs --replay FILE (a JSONL file of replies).")
    if provider != "auto":
        return provider, ""
    if replay_file:
        return "replay", ""
    if ollama.is_reachable(settings.ollama_url, PROBE_TIMEOUT_S):
        return "ollama", ""
    return "embedded", f"no Ollama at {settings.ollama_url}"


def _default_spec(provider: str, role: str, replay_file: str | None) -> str:
    if provider == "ollama":
        return f"ollama:{DEFAULT_OLLAMA[role]}"
    if provider == "embedded":
        return f"embedded:{embedded.SMOLLM2}"
    return f"replay:{Path(str(replay_file)).expanduser().resolve()}"


def _override_spec(name: str, provider: str, fallback: bool) -> str | None:
    given, model = split_spec(name.strip())
    if not model:
        raise UsageError(f"--model needs ROLE=NAME with a model name, got {name!r}.")
    if not given and fallback and provider == "embedded":
        is_embedded = model == embedded.SMOLLM2 or model.endswith(".gguf")
        if not is_embedded:
            return None
    given = given or provider
    if given == "embedded":
        embedded.check_name(model)
    if given == "replay":
        model = str(Path(model).expanduser().resolve())
    return f"{given}:{model}"


def describe_choice(specs: Mapping[str, str], settings: ModelSettings | None = None) -> str:
    """One line for the terminal: which provider and model serves each role."""
    url = (settings or ModelSettings()).ollama_url
    groups: dict[str, list[str]] = {}
    for role in ROLES:
        if role in specs:
            provider, name = split_spec(specs[role])
            groups.setdefault(provider, []).append(f"{role} {name}")
    parts = [_describe_group(p, roles, specs, url) for p, roles in groups.items()]
    note = getattr(specs, "note", "")
    return "models: " + (f"{note}; " if note else "") + "; ".join(parts)


def _describe_group(provider: str, roles: list[str], specs: Mapping[str, str], url: str) -> str:
    if provider == "ollama":
        return f"Ollama at {url} ({', '.join(roles)})"
    if provider == "replay":
        files = sorted({split_spec(s)[1] for s in specs.values() if s.startswith("replay:")})
        return f"replaying scripted replies from {', '.join(files)}"
    names = sorted({split_spec(s)[1] for s in specs.values() if s.startswith("embedded:")})
    labels = ", ".join(embedded.label(n) for n in names)
    every = len(roles) == len(specs)
    return f"using the embedded model {labels} (offline)" + ("" if every else f" for {_who(roles)}")


def _who(roles: list[str]) -> str:
    return ", ".join(r.split()[0] for r in roles)


def check_available(specs: Mapping[str, str], settings: ModelSettings) -> None:
    """Fail early, with the fix, when a model a role needs cannot be served."""
    by_provider: dict[str, dict[str, str]] = {}
    for role, spec in specs.items():
        provider, name = split_spec(spec)
        by_provider.setdefault(provider, {})[role] = name
    if wanted := by_provider.pop("ollama", None):
        _check_ollama(wanted, settings)
    for name in set(by_provider.pop("embedded", {}).values()):
        embedded.gguf_path(name)
        embedded.check_runtime()
    for path in set(by_provider.pop("replay", {}).values()):
        _replay_script(path)
    if by_provider:
        raise UsageError(f"model spec without a provider: {dict(by_provider)}; use ollama:NAME.")


def _check_ollama(wanted: Mapping[str, str], settings: ModelSettings) -> None:
    pulled = ollama.pulled_models(settings.ollama_url)
    missing = {n: r for r, n in wanted.items() if not ollama.is_pulled(n, pulled)}
    if missing:
        lines = "; ".join(f"`ollama pull {n}` (role {r})" for n, r in missing.items())
        raise EnvironmentMissing(
            f"Ollama at {settings.ollama_url} lacks {len(missing)} model(s) the run needs. "
            f"Pull them: {lines}; or choose others with --model ROLE=NAME."
        )


def _replay_script(path: str) -> ReplayScript:
    from ryx.replay import ReplayScript

    return ReplayScript(path)


class ModelTooBig(ConfigError):
    """An Ollama model that cannot fit the memory budget even alone."""


class ModelPool:
    """The one loader: builds each role's chat model once and keeps Ollama's memory in budget.

    Every Ollama model that fits stays resident beside the others (the 3B intent model beside
    a 14B, on a big enough card). Before one that does not fit is handed out, resident models
    are unloaded (keep_alive 0), those only the intent role uses first, then the least recently
    used, until it fits the budget and at most `settings.max_resident` remain. A model larger
    than the whole budget is refused, naming a smaller pulled tag when there is one.
    """

    def __init__(self, specs: Mapping[str, str], settings: ModelSettings, meter: Meter | None = None,
                 sizes: SizeBook | None = None) -> None:
        self.specs = dict(specs)
        self.settings = settings
        self.meter = meter or Meter()  # counts `load:ROLE` each time a role's model is loaded
        self.sizes = sizes or SizeBook()
        self._budget: tuple[float, str] | None = None
        self._models: dict[tuple[str, str], Any] = {}
        self._scripts: dict[str, ReplayScript] = {}
        self._resident: list[str] = []
        self._used_ollama: list[str] = []
        self._measure = False  # a model was loaded: its size is read after its first call
        self._lock = threading.RLock()

    @property
    def budget(self) -> tuple[float, str]:
        """(GB for Ollama models, where that number came from)."""
        if self._budget is None:
            if self.settings.vram_gb is not None:
                vram, source = self.settings.vram_gb, "[models] vram_gb"
            else:
                vram, source = detect_vram_gb()
            offload = self.settings.ram_gb if self.settings.num_gpu is not None else 0.0
            self._budget = (vram + offload, source + (f" + {offload:g} GB of RAM (num_gpu)" if offload else ""))
        return self._budget

    def fit_together(self, *roles: str) -> bool:
        """Whether the Ollama models of `roles` can all be resident at once."""
        names = {split_spec(self.specs[r])[1] for r in roles if self.specs.get(r, "").startswith("ollama:")}
        if len(names) <= 1:
            return True
        url = self.settings.ollama_url
        return (len(names) <= self.settings.max_resident
                and sum(self.sizes.size(url, n) for n in names) <= self.budget[0])

    def after_call(self) -> None:
        """After a call: the size of a model just loaded, as the server reports it, is kept."""
        with self._lock:
            if self._measure:
                self._measure = False
                self.sizes.measure(self.settings.ollama_url)

    def for_role(self, role: str) -> BaseChatModel:
        """The chat model for `role`, loading it (and making room for it) if needed."""
        spec = self.specs.get(role)
        if spec is None:
            raise UsageError(f"no model for role {role!r}; the roles are {', '.join(self.specs)}.")
        provider, name = split_spec(spec)
        with self._lock:
            key = (role if provider == "replay" else "", spec)
            loads = provider == "ollama" and name not in self._resident or key not in self._models
            if provider == "ollama":
                self._make_room(name)
            if key not in self._models:
                self._models[key] = self._build(role, provider, name)
            if loads:
                self.meter.count(f"load:{role}")
            return self._models[key]

    def _build(self, role: str, provider: str, name: str) -> BaseChatModel:
        if provider == "ollama":
            return ollama.build_chat_ollama(name, self.settings)
        if provider == "embedded":
            return embedded.build_chat_llamacpp(name, self.settings)
        if provider == "replay":
            from ryx.replay import ReplayChatModel

            if name not in self._scripts:
                self._scripts[name] = _replay_script(name)
            return ReplayChatModel(role=role, script=self._scripts[name])
        raise UsageError(f"model spec {provider}:{name} has no known provider; use ollama:NAME.")

    def _make_room(self, name: str) -> None:
        if name in self._resident:
            self._resident.remove(name)
            self._resident.append(name)
            return
        url, (budget, source) = self.settings.ollama_url, self.budget
        need = self.sizes.size(url, name)
        if need > budget:
            smaller = smaller_fitting(url, name, budget, self.sizes)
            instead = f"choose a smaller tag such as {smaller}" if smaller else "pull and choose a smaller tag"
            raise ModelTooBig(
                f"Ollama model {name} takes about {need:.1f} GB, more than the {budget:.1f} GB budget "
                f"({source}): {instead} (--model ROLE=NAME), raise [models] vram_gb, or offload part "
                "of it to the CPU on purpose with [models] num_gpu and ram_gb.")
        if name not in self._used_ollama:
            self._used_ollama.append(name)
        while self._resident and (len(self._resident) >= self.settings.max_resident
                                  or sum(self.sizes.size(url, n) for n in self._resident) + need > budget):
            victim = self._victim()
            self._resident.remove(victim)
            unload_ollama_models(url, [victim], UNLOAD_TIMEOUT_S)
            self.meter.count("unloads")
        self._resident.append(name)
        self._measure = True
        control.note_loaded(url, name)

    def _victim(self) -> str:
        """The resident model least soon needed: one only the intent role uses (it routes once,
        at the start of a cycle), else the least recently used."""
        intent_only = {split_spec(self.specs.get("intent", ""))[1]} - {
            split_spec(spec)[1] for role, spec in self.specs.items() if role != "intent"}
        return next((n for n in self._resident if n in intent_only), self._resident[0])

    @property
    def resident(self) -> list[str]:
        """Ollama models this pool believes are in memory, least recently used first."""
        with self._lock:
            return list(self._resident)

    def unload_all(self) -> list[str]:
        """Unload every Ollama model this pool used and free embedded weights; names freed."""
        with self._lock:
            names = unload_ollama_models(
                self.settings.ollama_url, self._used_ollama, UNLOAD_TIMEOUT_S
            )
            self._resident = []
            for (_, spec), model in list(self._models.items()):
                provider, name = split_spec(spec)
                if provider == "embedded":
                    embedded.free(model)
                    del self._models[("", spec)]
                    names.append(f"{embedded.label(name)} (embedded)")
            return names


SAMPLES_EMBEDDED = 8  # a tiny model is cheap per sample and right only now and then
SAMPLES_BY_SIZE = ((4.0, 4), (16.0, 2))  # (at most this many billion parameters, samples)
_SIZE = re.compile(r"(\d+(?:\.\d+)?)b\b", re.IGNORECASE)


def default_samples(spec: str) -> int:
    """Candidates one attempt draws from this model: many from the embedded one, one or two
    from a 14B, one from a model of unknown size or a replay script."""
    provider, name = split_spec(spec)
    if provider == "embedded":
        return SAMPLES_EMBEDDED
    if provider != "ollama":
        return 1
    size = _SIZE.search(name.rpartition(":")[2] or name) or _SIZE.search(name)
    if size is None:
        return 1
    return next((k for most, k in SAMPLES_BY_SIZE if float(size.group(1)) <= most), 1)


def varied(model: BaseChatModel, temperature: float | None, seed: int | None,
           grammar: str | None = None) -> tuple[BaseChatModel, dict[str, Any]]:
    """The model set for one sample, and the per-call arguments: llama.cpp takes the seed and a
    grammar per call, Ollama the seed as a field; a replay script ignores both."""
    update: dict[str, Any] = {}
    fields = type(model).model_fields
    if temperature is not None and "temperature" in fields:
        update["temperature"] = temperature
    if embedded.is_llamacpp(model):
        kwargs = embedded.sampling_kwargs(seed, grammar)
    else:
        kwargs = {}
        if seed is not None and "seed" in fields:
            update["seed"] = seed
    return (model.model_copy(update=update) if update else model), kwargs
