"""The exceptions schemashift raises on purpose.

Every message is written for the user: what is wrong and what to do about it. The CLI
catches :class:`SchemashiftError` once, prints its message and exits 1; anything else is
a bug and keeps its traceback.
"""

from __future__ import annotations


class SchemashiftError(Exception):
    """A failure explained to the user; the CLI prints it and exits 1."""

    #: True when the database was changed before the failure (part of a batch committed,
    #: or a migration outside a transaction partly run): it is not as it was before.
    changed_database = False

    def __init__(self, message: str, details: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return self.message if not self.details else f"{self.message}\n{self.details}"


class ConfigError(SchemashiftError):
    """Settings that cannot be used: a bad URL, a missing folder, an unknown option."""


class ModelError(SchemashiftError):
    """Models that cannot be turned into a schema, or a model file that fails to import."""


class MigrationFileError(SchemashiftError):
    """A migration file that is malformed, duplicated or missing."""


class IntegrityError(SchemashiftError):
    """History that does not match the tracking table (edited or missing applied files)."""


class MigrationFailed(SchemashiftError):
    """A migration raised while running. Its message says what was rolled back and what
    stays committed (``atomic = False`` migrations and those before them)."""


class LockTimeout(SchemashiftError):
    """Another process held the migration lock for longer than the lock timeout."""


class DatabaseError(SchemashiftError):
    """The database cannot be opened or used."""
