"""Typed state of one improvement cycle."""

from state.types import Attempt, Candidate, Outcome, Research, RyxState, Weakness

__all__ = ["Attempt", "Candidate", "Outcome", "Research", "RyxState", "Weakness"]
