"""One user-facing exception family; `tiered_ci.cli` maps it to exit codes, nowhere else."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "CIError",
    "CheckFailed",
    "CommandFailed",
    "ConfigError",
    "InputError",
    "RepoError",
    "UsageError",
]


class CIError(Exception):
    """Base of every error tiered-ci reports to a user. The message says what and how to fix."""

    exit_code = 3


class UsageError(CIError):
    """Bad flags, config or input files: exit 2."""

    exit_code = 2


class ConfigError(UsageError):
    """The `[tool.tiered-ci]` table (or a file it names) is invalid."""


class InputError(UsageError):
    """A flag value or an input file (event payload, durations, filters) is invalid."""


class RepoError(UsageError):
    """The directory is not a git repository, or an explicit revision does not resolve."""


class CheckFailed(CIError):
    """A check or build ran and failed: exit 1."""

    exit_code = 1


class CommandFailed(CheckFailed):
    """A subprocess exited non-zero; carries its argv, return code and output."""

    def __init__(self, argv: Sequence[str], returncode: int, output: str) -> None:
        self.argv = tuple(argv)
        self.returncode = returncode
        self.output = output
        super().__init__(f"{' '.join(self.argv)} exited {returncode}")
