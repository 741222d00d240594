"""The errors that stop a run (exit code 2) and the exit-code contract."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """What `casecheck` exits with: a documented contract for scripts and CI."""

    CLEAN = 0  # no exception at or above --fail-on
    EXCEPTIONS = 1  # some exceptions at or above --fail-on (or a rule errored)
    UNUSABLE = 2  # the export, the config or the rules cannot be used
    INTERNAL = 3  # a bug in casecheck: please report it
    INTERRUPTED = 130  # Ctrl-C


class CasecheckError(Exception):
    """Input that cannot be used at all: the message says where, what, and how to fix it."""

    exit_code = ExitCode.UNUSABLE

    def __init__(self, where: str, what: str, fix: str) -> None:
        self.where = where
        self.what = what
        self.fix = fix
        super().__init__(f"{where}: {what}. {fix}" if fix else f"{where}: {what}")


class ExportError(CasecheckError):
    """The export folder or one of its files cannot be read."""


class ConfigError(CasecheckError):
    """The council config (casecheck.yaml) is invalid."""


class RuleFileError(CasecheckError):
    """A rule file is invalid: a rule is never silently skipped."""
