"""Errors the CLI turns into one clear message and one of the design's exit codes."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_ENVIRONMENT = 3
EXIT_STOPPED = 130


class RyxError(Exception):
    """A failure the user can act on; the message says what and what to do next."""

    exit_code = EXIT_FAILED

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(RyxError):
    exit_code = EXIT_USAGE


class ConfigError(RyxError):
    exit_code = EXIT_USAGE


class EnvironmentMissing(RyxError):
    """No model server, not a git repository, a model not pulled..."""

    exit_code = EXIT_ENVIRONMENT

