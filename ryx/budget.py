"""How much model memory the machine has, and how much each Ollama model takes.

The budget is `[models] vram_gb` when set, else the GPU's memory as `nvidia-smi` reports it
(less a little for the display and the driver), else 10 GB. A model's size is what Ollama
reported when it last held it (`/api/ps`), remembered in `$RYX_HOME/model-sizes.json`;
before that, its file size from `/api/tags` plus room for the context.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from pathlib import Path

from ryx import ollama

GB = 1e9  # Ollama's sizes are bytes; `ollama list` shows decimal GB
DEFAULT_VRAM_GB = 10.0
GPU_HEADROOM_GB = 0.5  # the display and the driver keep some of the card
FILE_TO_MEMORY = 1.2  # weights plus the KV cache of an 8k context, before a model was measured


def detect_vram_gb() -> tuple[float, str]:
    """(GB, where it came from): the first GPU `nvidia-smi` lists, or the default."""
    smi = shutil.which("nvidia-smi")
    if smi:
        try:
            out = subprocess.run([smi, "--query-gpu=memory.total", "--format=csv,noheader,nounits"],
                                 capture_output=True, text=True, timeout=5, check=True).stdout
            mib = float(out.split()[0])
            return round(mib * 1024 * 1024 / GB - GPU_HEADROOM_GB, 1), "nvidia-smi"
        except (OSError, subprocess.SubprocessError, ValueError, IndexError):
            pass
    return DEFAULT_VRAM_GB, "default (no GPU found; set [models] vram_gb)"


class SizeBook:
    """Model sizes in GB, remembered across runs (in memory only when `path` is None)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._sizes: dict[str, float] = self._read()

    def _read(self) -> dict[str, float]:
        if self.path is None or not self.path.is_file():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {str(k): float(v) for k, v in data.items() if isinstance(v, (int, float))}

    def get(self, name: str) -> float | None:
        with self._lock:
            return self._sizes.get(name)

    def remember(self, name: str, gb: float) -> None:
        with self._lock:
            if self._sizes.get(name) == gb:
                return
            self._sizes[name] = gb
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                tmp = self.path.with_suffix(".tmp")
                tmp.write_text(json.dumps(self._sizes, indent=1, sort_keys=True), encoding="utf-8")
                tmp.replace(self.path)

    def size(self, url: str, name: str) -> float:
        """What `name` takes when loaded: measured before, else estimated from its file."""
        known = self.get(name)
        if known is not None:
            return known
        listed = {m["name"]: m.get("size", 0) for m in _tags(url)}
        file_bytes = listed.get(name) or listed.get(f"{name}:latest") or 0
        return round(file_bytes * FILE_TO_MEMORY / GB, 2)

    def measure(self, url: str) -> dict[str, float]:
        """Remember the size of every model the server holds now; {name: GB}."""
        try:
            reply = ollama.request_json(url, "/api/ps", timeout_s=5)
        except (OSError, ValueError):
            return {}
        held = {}
        for entry in reply.get("models", []):
            name, size = entry.get("name") or entry.get("model", ""), entry.get("size")
            if name and isinstance(size, (int, float)) and size > 0:
                held[name] = round(size / GB, 2)
                self.remember(name, held[name])
        return held


def smaller_fitting(url: str, name: str, budget_gb: float, book: SizeBook) -> str | None:
    """A pulled model of the same family that fits the budget, the largest such; else None."""
    family = name.split(":")[0]
    fits = [(book.size(url, m["name"]), m["name"]) for m in _tags(url)
            if m["name"].split(":")[0] == family and m["name"] != name]
    fits = [(gb, n) for gb, n in fits if 0 < gb <= budget_gb]
    return max(fits)[1] if fits else None


def _tags(url: str) -> list[dict]:
    try:
        reply = ollama.request_json(url, "/api/tags", timeout_s=5)
    except (OSError, ValueError):
        return []
    return [{**m, "name": m.get("name") or m.get("model", "")} for m in reply.get("models", [])]
