"""Repositories that research points to, cloned for local research only with permission.

A run that may ask (a terminal, or Studio) asks then; an unattended one queues the proposal
in the target's memory (`ryx approvals` lists it) and `ryx approve clone-…` clones it. A clone
is shallow, without submodules, hooks or a credential prompt, and is only ever read.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

from ryx.errors import RyxError
from ryx.memory import Memory

CLONE_TIMEOUT_S = 300
_FORGE = re.compile(r"^https://(github\.com|gitlab\.com|codeberg\.org|bitbucket\.org)/([\w.-]+)/([\w.-]+)")
_NOT_REPOS = frozenset({"topics", "orgs", "search", "features", "marketplace", "sponsors", "collections"})


def repo_url(url: str) -> str | None:
    """The clone URL of the repository a web address points to (a forge's project page, or
    any URL ending in .git), else None."""
    forge = _FORGE.match(url)
    if forge:
        host, owner, name = forge.groups()
        if owner in _NOT_REPOS:
            return None
        return f"https://{host}/{owner}/{name.removesuffix('.git')}.git"
    if url.endswith(".git") and url.startswith(("https://", "file://")):
        return url
    return None


def clone_id(url: str) -> str:
    return "clone-" + hashlib.sha1(url.encode()).hexdigest()[:8]


def folder_name(url: str) -> str:
    """A readable folder for the clone: `owner-name` of a forge URL, else the last part."""
    parts = [p for p in url.removesuffix(".git").split("/") if p]
    return re.sub(r"[^\w.-]", "_", "-".join(parts[-2:]) if len(parts) >= 2 else parts[-1])


def propose(mem: Memory, url: str, test_id: str, found_by: str) -> dict:
    """Queue a clone for approval (once per URL; a decided one keeps its decision)."""
    key = clone_id(url)
    existing = mem.get("clones", key)
    if existing:
        return existing
    record = {"id": key, "url": url, "test_id": test_id, "found_by": found_by, "status": "pending"}
    mem.put("clones", key, record)
    return record


def accept(mem: Memory, record: dict, into: Path) -> Path:
    """The person said yes: clone it (once) and record where it went."""
    path = clone(record["url"], into)
    mem.put("clones", record["id"], {**record, "status": "cloned", "path": str(path)})
    return path


def clone(url: str, into: Path) -> Path:
    """Clone `url` into `into/<folder_name>` (kept when already there); the clone's folder."""
    dest = into / folder_name(url)
    if (dest / ".git").exists():
        return dest
    into.mkdir(parents=True, exist_ok=True)
    partial = into / f".{dest.name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    cmd = ["git", "-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false", "clone", "--quiet",
           "--depth", "1", "--no-recurse-submodules", "--", url, str(partial)]
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "/bin/true"}
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=CLONE_TIMEOUT_S, env=env,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise RyxError(f"cloning {url} took over {CLONE_TIMEOUT_S} s and was stopped; "
                       "try `ryx approve` again when the network is faster.") from None
    if proc.returncode != 0:
        raise RyxError(f"could not clone {url}: {proc.stderr.strip() or proc.stdout.strip()}. "
                       "Check the address and the network, then run `ryx approve` again, or `ryx reject` it.")
    partial.rename(dest)
    return dest
