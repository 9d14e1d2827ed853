"""Typical mistakes in model files get one sentence that names the fix."""

from __future__ import annotations

import pytest

from tests.support.project import ProjectDir


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "class User(Model):\n    name = Field.String(max_lenght=50)\n",
            "Field.String() has no option 'max_lenght'. Did you mean max_length=...?",
        ),
        (
            "class User(Model):\n    name = Field.Text(nullabel=False)\n",
            "Field.Text() has no option 'nullabel'. Did you mean nullable=...?",
        ),
        (
            "class User(Model):\n    name = Field.Strng(max_length=50)\n",
            "Field has no kind 'Strng'. Did you mean Field.String?",
        ),
        (
            "import datetime\n\n\nclass User(Model):\n"
            "    seen = Field.DateTime(default=datetime.datetime.now)\n",
            'use default=SQL("CURRENT_TIMESTAMP")',
        ),
        (
            "import datetime\n\n\nclass User(Model):\n"
            "    day = Field.Date(default=datetime.date.today)\n",
            'use default=SQL("CURRENT_DATE")',
        ),
        (
            "class Stamped(Model):\n    __abstract__ = True\n"
            "    score = Field.Integer(default='high')\n\n\n"
            "class User(Model):\n    name = Field.Text()\n\n\n"
            "class Post(Stamped):\n    title = Field.Text()\n",
            "Stamped.score (inherited by Post): default='high' does not suit this field",
        ),
    ],
)
def test_the_message_names_the_fix(sqlite_project: ProjectDir, source: str, expected: str) -> None:
    sqlite_project.model("app", source)
    result = sqlite_project.run("make", "migration", "initial")
    assert result.code == 1, result
    assert expected in result.err
    assert "Traceback" not in result.err
    assert sqlite_project.files() == []
