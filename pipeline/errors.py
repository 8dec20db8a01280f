"""One exception family: the CLI turns each into one line on stderr and an exit code."""

from __future__ import annotations

# Exit codes (see README): 0 ok, 1 failed, 2 usage, 3 partial, 75 busy (EX_TEMPFAIL).
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_PARTIAL = 3
EXIT_BUSY = 75


class PipelineError(Exception):
    """Base class: a message meant for the user and the exit code that goes with it."""

    exit_code = EXIT_FAILED


class InputError(PipelineError):
    """An input path or record that cannot be used."""

    exit_code = EXIT_USAGE


class DatabaseError(PipelineError):
    """The database file cannot be opened or written."""


class DatabaseBusy(DatabaseError):
    """Another process holds the database file."""

    exit_code = EXIT_BUSY


class SchemaTooNew(DatabaseError):
    """The database was written by a newer schema than this code knows."""
