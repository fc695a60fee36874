"""`ryx repos`: what local research searches, and `--refresh` to find and index it now."""

from __future__ import annotations

import time
from pathlib import Path

from ryx.config import load_config
from ryx.errors import EXIT_OK
from ryx.gitops import open_target
from ryx.library import Indexer, Library, Source, plan_for
from state.context import default_target


def list_sources(folder: Path, *, refresh: bool, target: str | None) -> int:
    library = Library(folder)
    try:
        if refresh:
            _refresh(library, target)
        sources = library.sources()
        indexed = [s for s in sources if s.indexed_at]
        print(f"{len(sources)} source(s) known, {len(indexed)} indexed ({library.index_path})")
        for source in sources:
            print("  " + _line(source))
        if not sources:
            print("  none yet: a run finds them in the background, or `ryx repos --refresh` now")
    finally:
        library.close()
    return EXIT_OK


def _refresh(library: Library, target: str | None) -> None:
    config = load_config(open_target(target or default_target()))
    plan = plan_for(config)
    print(f"finding repositories under {', '.join(str(r) for r in plan.roots)} ...", flush=True)
    started, since = time.monotonic(), time.time()
    indexer = Indexer(library, lambda: plan).start()
    while not indexer.wait_idle(5):
        done = len([s for s in library.sources() if s.indexed_at and s.indexed_at >= since])
        print(f"  {done} indexed so far ...", flush=True)
    indexer.stop()
    if indexer.error:
        print(f"indexing stopped early: {indexer.error}")
    print(f"refreshed in {time.monotonic() - started:.1f} s")


def _line(source: Source) -> str:
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(source.indexed_at)) if source.indexed_at else "not yet"
    files = f"{source.files} file(s), {source.seconds:.1f} s" if source.indexed_at else "waiting"
    return f"{source.name}  [{source.kind}]  indexed {when} ({files})  {source.path}"
