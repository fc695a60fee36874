"""scripts/soak.py on a small scale: cycles with SIGKILLs and resumes leave every bug fixed once
and nothing behind (the full figures come from running the script itself)."""

from __future__ import annotations

import subprocess
import sys

from loop_helpers import RYX_ROOT


def test_a_small_soak_passes_its_own_checks():
    result = subprocess.run([sys.executable, "scripts/soak.py", "--bugs", "3", "--cycles", "16", "--kill-every", "2",
                             "--seed", "3", "--long-run", "8"], cwd=RYX_ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SIGKILLed" in result.stdout and "FAIL" not in result.stdout
    assert "every bug fixed exactly once (3 landings for 3 bugs)" in result.stdout
