"""Reading failures and recovering: what the loop feeds back to the model after a failed try.

`summarize_pytest_output` turns real pytest output into `Failure` records,
`feedback_for_model` packs them into a short text for the next prompt, and
`clean_git_leftovers` repairs the worktree state a crash leaves behind.
"""

from __future__ import annotations

from skills.heal.feedback import feedback_for_model
from skills.heal.git_cleanup import GitCleanupError, clean_git_leftovers
from skills.heal.pytest_output import KINDS, Failure, summarize_pytest_output

__all__ = [
    "KINDS",
    "Failure",
    "GitCleanupError",
    "clean_git_leftovers",
    "feedback_for_model",
    "summarize_pytest_output",
]
