"""Table names derived from model class names: snake_case, then a plain English plural."""

from __future__ import annotations

import re

# A boundary sits before an upper-case letter that follows a lower-case letter or digit
# (``BlogPost``), and before the last capital of an acronym run (``HTTPServer``).
_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SIBILANT_ENDINGS = ("s", "x", "z", "ch", "sh")
_VOWELS = "aeiou"


def snake_case(name: str) -> str:
    """``BlogPost`` -> ``blog_post``, ``HTTPServer`` -> ``http_server``."""
    return _BOUNDARY.sub("_", name).lower()


def pluralize(word: str) -> str:
    """The plural by plain English rules, with no irregular forms: ``+s``; consonant +
    ``y`` -> ``ies``; ``s``, ``x``, ``z``, ``ch``, ``sh`` -> ``+es``."""
    if word.endswith(_SIBILANT_ENDINGS):
        return word + "es"
    if len(word) > 1 and word.endswith("y") and word[-2] not in _VOWELS:
        return word[:-1] + "ies"
    return word + "s"


def default_table_name(class_name: str) -> str:
    """The table name of a model class without ``__tablename__``: ``Category`` ->
    ``categories``."""
    return pluralize(snake_case(class_name))
