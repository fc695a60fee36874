"""The library research draws on: discovery under a home, the registry, the background indexer.

Real folders, real `git init` repositories, real SQLite; nothing is mocked.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from ryx.config import load_config
from ryx.library import Indexer, Library, Plan, display_name, plan_for
from ryx.repos import discover


def init(path: Path, files: dict[str, str] | None = None) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for rel, text in (files or {}).items():
        (path / rel).parent.mkdir(parents=True, exist_ok=True)
        (path / rel).write_text(text)
    subprocess.run(["git", "init", "-q", str(path)], check=True, capture_output=True)
    return path.resolve()


def test_discovery_looks_in_code_folders_first_and_skips_caches(tmp_path: Path) -> None:
    home = tmp_path / "home"
    late = init(home / "aaa" / "old")
    early = init(home / "work" / "libs" / "textkit")
    init(home / ".cache" / "pip" / "src" / "hidden")
    init(home / "node_modules" / "left-pad")
    init(home / "Library" / "Caches" / "thing")
    found = discover([home])
    assert found.repos == (early, late)
    assert found.complete


def test_discovery_respects_depth_exclude_limit_and_budget(tmp_path: Path) -> None:
    home = tmp_path / "home"
    deep = init(home / "a" / "b" / "c" / "d" / "repo")
    init(home / "src" / "secret-client")
    kept = init(home / "src" / "mine")
    assert deep not in discover([home]).repos  # five levels down: past the default depth
    assert deep in discover([home], max_depth=5).repos
    assert discover([home], exclude=["secret-*"]).repos == (kept,)
    assert discover([home], exclude=[str(home / "src") + "/*"]).repos == ()
    assert len(discover([home], max_depth=5, limit=1).repos) == 1
    stopped = discover([home], budget_s=0)
    assert not stopped.complete and stopped.repos == ()


def test_display_names_cite_the_home_and_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert display_name(tmp_path / "work" / "libs" / "tk") == "~/work/libs/tk"
    assert display_name(Path("/opt/code/x")) == "/opt/code/x"
    assert display_name(Path("/venv/lib/site-packages/requests"), "site") == "site-packages/requests"
    assert display_name(Path("/venv/lib/site-packages/six.py"), "site") == "site-packages/six"


def test_the_registry_keeps_sources_and_when_they_were_indexed(tmp_path: Path) -> None:
    repo = init(tmp_path / "r")
    library = Library(tmp_path / "research")
    try:
        [source] = library.add([repo])
        assert source.indexed_at is None and library.root_of(source.name) == repo
        library.mark_indexed(source.name, 3, 0.5)
        library.add([repo])  # found again: its record is kept
        [again] = library.sources()
        assert (again.files, again.seconds) == (3, 0.5) and again.indexed_at
        with pytest.raises(ValueError, match="unknown source kind"):
            library.add([repo], "cloud")
    finally:
        library.close()


def test_the_indexer_finds_indexes_and_a_search_sees_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    init(home / "work" / "libs" / "textkit", {"textkit/slugs.py": "def slugify(text):\n    return text\n"})
    target = init(home / "work" / "app", {"app.py": "def slugify(text):\n    raise NotImplementedError\n"})
    library = Library(tmp_path / "research")
    indexer = Indexer(library, lambda: Plan(roots=(home,), skip=(target,))).start()
    try:
        assert indexer.wait_idle(30), indexer.error
        names = {s.name: s for s in library.sources()}
        assert set(names) == {str(home.resolve() / "work" / "libs" / "textkit")}  # not the target
        [hit] = library.search("slugify", 5)
        assert hit.path == "textkit/slugs.py"
        assert library.search("slugify", 5, exclude=[hit.repo]) == []
    finally:
        indexer.stop()
        library.close()


def test_a_pass_over_many_repos_does_not_block_searches_and_takes_priorities_first(tmp_path: Path) -> None:
    home = tmp_path / "home"
    for i in range(60):
        init(home / "code" / f"repo{i:03}", {f"m{j}.py": f"def f{i}_{j}():\n    return {j}\n" * 40 for j in range(8)})
    urgent = init(tmp_path / "pkg", {"urgent.py": "def needle_in_the_haystack():\n    pass\n"})
    library = Library(tmp_path / "research")
    [source] = library.add([urgent], "site")
    indexer = Indexer(library, lambda: Plan(roots=(home,))).start()
    try:
        indexer.prioritize([source])
        deadline = time.monotonic() + 60
        while not library.search("needle_in_the_haystack", 1) and time.monotonic() < deadline:
            time.sleep(0.05)
        indexed = [s for s in library.sources() if s.indexed_at]
        assert library.search("needle_in_the_haystack", 1), indexer.error
        assert len(indexed) < 61, "the pass was over before the search: make the home bigger"
        assert indexer.wait_idle(120), indexer.error
        assert len([s for s in library.sources() if s.indexed_at]) == 61
    finally:
        indexer.stop()
        library.close()


def test_plan_defaults_to_home_and_the_targets_parent_and_reads_config(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    target = init(tmp_path / "projects" / "app")
    plan = plan_for(load_config(target))
    assert plan.roots == (tmp_path / "home", target.parent) and target in plan.skip
    (target / "ryx.toml").write_text('[research]\nroots = ["~/src"]\nexclude = ["vendor"]\n')
    plan = plan_for(load_config(target))
    assert plan.roots == ((tmp_path / "home" / "src").resolve(),) and plan.exclude == ("vendor",)


@pytest.mark.parametrize("toml,message", [
    ('[research]\nexclude = "vendor"\n', "research.exclude` has the wrong type"),
    ('[research]\nsearx_url = "localhost:8888"\n', "research.searx_url must be an http"),
    ('[research]\ncache_hours = -1\n', "research.cache_hours must be >= 0"),
    ('[research]\nroot = ["~/src"]\n', "unknown key `research.root`"),
])
def test_research_settings_are_checked(tmp_path: Path, toml: str, message: str) -> None:
    from ryx.errors import ConfigError

    (tmp_path / "ryx.toml").write_text(toml)
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        load_config(tmp_path)


def test_research_settings_are_read(tmp_path: Path) -> None:
    (tmp_path / "ryx.toml").write_text('[research]\nsearx_url = "http://localhost:8888"\ncache_hours = 2\n'
                                       'exclude = ["vendor", "~/secret/*"]\n')
    config = load_config(tmp_path)
    assert (config.searx_url, config.web_ttl_s) == ("http://localhost:8888", 7200.0)
    assert config.research_exclude == ("vendor", "~/secret/*")


def test_the_index_benchmark_runs_on_a_small_home() -> None:
    script = Path(__file__).resolve().parent.parent / "scripts" / "bench_index.py"
    result = subprocess.run([sys.executable, str(script), "--repos", "3", "--files", "4", "--lines", "20",
                             "--busy-repos", "6"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "home: 3 repos x 4 files" in result.stdout
    assert "the change is searchable after both:      yes" in result.stdout
    assert "of the full index" in result.stdout and "a search during the first pass of 6 repos" in result.stdout


def test_a_kick_within_the_refresh_time_indexes_only_what_was_prioritized(tmp_path: Path) -> None:
    home = tmp_path / "home"
    init(home / "code" / "first", {"a.py": "def first_function():\n    pass\n"})
    library = Library(tmp_path / "research")
    indexer = Indexer(library, lambda: Plan(roots=(home,)), refresh_s=3600).start()
    try:
        assert indexer.wait_idle(30), indexer.error
        init(home / "code" / "second", {"b.py": "def second_function():\n    pass\n"})
        pkg = init(tmp_path / "pkg", {"p.py": "def package_function():\n    pass\n"})
        indexer.prioritize(library.add([pkg], "site"))
        assert indexer.wait_idle(30), indexer.error
        assert library.search("package_function", 1)[0].path == "p.py"
        assert "b.py" not in {h.path for h in library.search("second_function", 5)}
    finally:
        indexer.stop()
        library.close()


def test_discovery_never_walks_the_temp_folder_or_ryxs_private_copies(tmp_path: Path, monkeypatch) -> None:
    import tempfile

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    demo = init(Path(tempfile.mkdtemp(prefix="ryx-demo-test-")))
    try:
        assert Path(tempfile.gettempdir()).resolve() not in plan_for(load_config(demo)).roots
    finally:
        import shutil

        shutil.rmtree(demo)
    init(tmp_path / "scratch" / "ryx-run-123-abc" / "tree")
    mine = init(tmp_path / "scratch" / "project")
    assert discover([tmp_path / "scratch"]).repos == (mine,)
