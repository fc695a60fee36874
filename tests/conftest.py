"""Fixtures shared by the test modules: the Ollama-protocol test server."""

from fake_ollama import fake_ollama

__all__ = ["fake_ollama"]
