"""One project as a command sees it: settings, database URL, dialect, migration files."""

from __future__ import annotations

from functools import cached_property

from schemashift.config import Settings
from schemashift.dialects import parse_url
from schemashift.errors import ConfigError
from schemashift.migrations.files import MigrationFile, list_migrations
from schemashift.url import DatabaseURL

TYPE_CHECKING = False
if TYPE_CHECKING:
    from schemashift.dialects.base import Dialect


class Project:
    """Lazily resolved pieces of a project; nothing touches the database here."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url: DatabaseURL = parse_url(settings.database, settings.root_path)

    @cached_property
    def dialect(self) -> Dialect:
        """The dialect of the project's database."""
        from schemashift.dialects import get_dialect

        return get_dialect(self.url.dialect)

    @cached_property
    def files(self) -> list[MigrationFile]:
        """The migration files, by number (duplicates refused)."""
        return list_migrations(self.settings.migrations_path)

    @cached_property
    def generated_dialects(self) -> list[Dialect]:
        """The dialects generated files carry SQL for: ``dialects`` in the settings, in
        their order, else the configured database's only. A list without the configured
        database is refused: its migrations could not run there."""
        from schemashift.dialects import get_dialect

        names = self.settings.dialects or (self.url.dialect,)
        if self.url.dialect not in names:
            raise ConfigError(
                f"[tool.schemashift] dialects = {list(names)!r} leaves out the configured "
                f"database ({self.url.dialect}), so its files could not run there. Add "
                f'"{self.url.dialect}" to dialects.'
            )
        return [self.dialect if name == self.url.dialect else get_dialect(name) for name in names]
