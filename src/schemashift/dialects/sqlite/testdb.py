"""The pytest plugin's databases on SQLite: files, the copies plain file copies."""

from __future__ import annotations

import shutil
from pathlib import Path

from schemashift.dialects.base import TemplateCopies
from schemashift.dialects.sqlite.urls import file_url
from schemashift.url import DatabaseURL


class FileCopies(TemplateCopies):
    """Template and copies are files in the folders pytest gives (the session's, each
    test's), whatever the path of the project's own database."""

    def create(self, name: str, folder: Path) -> DatabaseURL:
        path = folder / f"{name}.sqlite3"
        path.unlink(missing_ok=True)
        return file_url(path)

    def copy(self, template: DatabaseURL, name: str, folder: Path) -> DatabaseURL:
        assert template.path is not None
        path = folder / f"{name}.sqlite3"
        shutil.copyfile(template.path, path)
        return file_url(path)

    def drop(self, url: DatabaseURL) -> None:
        """Nothing: the files stay in pytest's temporary folders, which pytest prunes
        itself, so that the database of a failed test can still be looked at."""
        return None
