"""How the research library scales: a full index of a home with generated repos, then the
update after one file changed, measured in one run.

    python scripts/bench_index.py [--repos 50] [--files 40] [--lines 120] [--busy-repos 200]

Prints the seconds of each step and the ratios the research issue sets goals for: one changed
file re-indexed in at most 2 % of a full index; a rescan of the whole home (every file
checked, one re-indexed) for comparison; and, on a home of `--busy-repos` repos, how long a
search waits while the background pass is under way.
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ryx.library import Indexer, Library, Plan  # noqa: E402
from skills.search import CodeIndex  # noqa: E402

WORDS = ("account order invoice retry policy upload chunk table column parse render cache token "
         "session client server request reply window buffer stream queue worker task").split()
GIT_ENV = ["-c", "user.name=Bench", "-c", "user.email=bench@example.com"]


def module(rng: random.Random, lines: int) -> str:
    """A plausible Python module of about `lines` lines."""
    out = ['"""Generated module for the index benchmark."""', "", "import os", ""]
    while len(out) < lines:
        a, b = rng.sample(WORDS, 2)
        out += [f"def {a}_{b}_{len(out)}(value, limit=10):", f'    """Return the {a} of {b}."""',
                f"    {a} = value * {rng.randint(2, 9)}", f"    if {a} > limit:",
                f"        return {a} - limit", f"    return os.path.join(str({a}), '{b}')", "", ""]
    return "\n".join(out) + "\n"


def make_home(home: Path, repos: int, files: int, lines: int, seed: int = 1) -> list[Path]:
    rng = random.Random(seed)
    made = []
    for r in range(repos):
        root = home / ("code" if r % 2 else "work") / f"project{r:03}"
        for f in range(files):
            path = root / f"pkg{f % 4}" / f"mod{f:03}.py"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(module(rng, lines))
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        subprocess.run(["git", *GIT_ENV, "-C", str(root), "add", "-A"], check=True)
        subprocess.run(["git", *GIT_ENV, "-C", str(root), "commit", "-qm", "initial"], check=True)
        made.append(root)
    return made


def full_pass(library: Library, home: Path) -> float:
    started = time.perf_counter()
    indexer = Indexer(library, lambda: Plan(roots=(home,))).start()
    indexer.wait_idle(3600)
    indexer.stop()
    if indexer.error:
        raise SystemExit(f"indexing failed: {indexer.error}")
    return time.perf_counter() - started


def busy_search(base: Path, repos: int, files: int, lines: int) -> tuple[float, int, int]:
    """A search while a background pass indexes `repos` repos: its seconds, and how many repos
    were indexed when it answered, of how many."""
    home = base / "busy-home"
    make_home(home, repos, files, lines, seed=2)
    library = Library(base / "busy-research")
    indexer = Indexer(library, lambda: Plan(roots=(home,))).start()
    try:
        time.sleep(0.5)  # the pass is under way
        started = time.perf_counter()
        library.search("account order invoice", 6)
        seconds = time.perf_counter() - started
        done = len([s for s in library.sources() if s.indexed_at])
        indexer.wait_idle(3600)
    finally:
        indexer.stop()
        library.close()
    return seconds, done, repos


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repos", type=int, default=50)
    p.add_argument("--files", type=int, default=40, help="files per repo")
    p.add_argument("--lines", type=int, default=120, help="lines per file")
    p.add_argument("--busy-repos", type=int, default=200, help="repos of the home searched while it is indexed")
    args = p.parse_args(argv)
    base = Path(tempfile.mkdtemp(prefix="ryx-bench-index-"))
    try:
        home = base / "home"
        repos = make_home(home, args.repos, args.files, args.lines)
        library = Library(base / "research")
        full = full_pass(library, home)
        repo = repos[len(repos) // 2]
        rel = "pkg1/mod001.py"
        changed = repo / rel
        changed.write_text(changed.read_text() + "\n\ndef freshly_added_function():\n    return 1\n")
        name = library.add([repo])[0].name
        with CodeIndex(library.index_path) as index:
            started = time.perf_counter()
            index.update(name, repo, files=[rel])
            one = time.perf_counter() - started
        changed.write_text(changed.read_text() + "\n\ndef added_again():\n    return 2\n")
        rescan = full_pass(library, home)
        found = library.search("freshly_added_function added_again", 1)
        library.close()
        total_files = args.repos * args.files
        print(f"home: {args.repos} repos x {args.files} files x ~{args.lines} lines ({total_files} files)")
        print(f"full index (discovery + every file):      {full:8.2f} s")
        print(f"one changed file, updated by path:        {one:8.4f} s  = {one / full:.4f} of the full index "
              f"({'meets' if one / full <= 0.02 else 'misses'} the 2 % goal)")
        print(f"rescan of the home, one file changed:     {rescan:8.2f} s  = {rescan / full:.4f} of the full index")
        print(f"the change is searchable after both:      {'yes' if found and found[0].path == rel else 'NO'}")
        seconds, done, of = busy_search(base, args.busy_repos, max(args.files // 4, 4), args.lines)
        print(f"a search during the first pass of {of} repos: {seconds * 1000:.0f} ms "
              f"(answered with {done} of {of} indexed; it never waits for the pass)")
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
