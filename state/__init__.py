"""Typed state of one improvement cycle."""

from state.types import Attempt, Candidate, Evidence, Outcome, Research, RyxState, Weakness

__all__ = ["Attempt", "Candidate", "Evidence", "Outcome", "Research", "RyxState", "Weakness"]
