"""Errors shown to the user, each with the exit code SPEC.md gives it.

Library modules raise these; only ``cli.py`` turns them into an ``Error: ...``
line on stderr and an exit code.
"""


class ScorekeeperError(Exception):
    """Base class: a failure the user can act on."""

    exit_code = 3


class UsageError(ScorekeeperError):
    """The command line asks for something that cannot be done (exit 2)."""

    exit_code = 2


class DataError(ScorekeeperError):
    """Bad input data: a file, a row, an event (exit 3)."""


class ConfigError(ScorekeeperError):
    """A bad setting in scorekeeper.toml, the environment or a flag (exit 3)."""


class DatabaseError(ScorekeeperError):
    """The database file is missing, not SQLite, or from a newer scorekeeper (exit 3)."""


class UnknownUserError(ScorekeeperError):
    """``show`` or ``calculate`` named a user that is not listed (exit 3)."""


class BusyError(ScorekeeperError):
    """The database stayed locked past the busy timeout (exit 4)."""

    exit_code = 4
