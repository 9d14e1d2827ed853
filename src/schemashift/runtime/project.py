"""One project as a command sees it: settings, database URL, dialect, migration files."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from schemashift.config import Settings
from schemashift.errors import ConfigError
from schemashift.migrations.files import MigrationFile, list_migrations
from schemashift.url import DatabaseURL, parse_url

if TYPE_CHECKING:
    from schemashift.dialects.base import Dialect


class Project:
    """Lazily resolved pieces of a project; nothing touches the database here."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url: DatabaseURL = parse_url(settings.database, settings.root)

    @cached_property
    def dialect(self) -> Dialect:
        """The dialect of the project's database."""
        from schemashift.dialects import get_dialect

        return get_dialect(self.url.dialect)

    @cached_property
    def files(self) -> list[MigrationFile]:
        """The migration files, by number (duplicates refused)."""
        return list_migrations(self.settings.migrations)

    def refuse_unsupported_generation(self) -> None:
        """Refuse settings that would change what ``make migration`` writes but that this
        version cannot honour yet, rather than ignore them silently."""
        others = [d for d in self.settings.dialects if d != self.url.dialect]
        if others:
            raise ConfigError(
                f"[tool.schemashift] dialects names {', '.join(others)}, but this version "
                f"writes SQL for the configured database only ({self.url.dialect}). Remove "
                "the other names; nothing was written."
            )
