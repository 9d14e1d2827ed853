"""W1: many models with mixed columns, declared all at once (the initial migration)."""

from __future__ import annotations

import random

from workloads.spec import Col, Default, Tab

_KINDS = (
    "string",
    "text",
    "integer",
    "biginteger",
    "float",
    "decimal",
    "boolean",
    "date",
    "datetime",
    "json",
    "uuid",
    "enum",
)
_DEFAULTS: dict[str, tuple[Default, ...]] = {
    "string": ("", "n/a", "draft"),
    "text": ("",),
    "integer": (0, 1, 42),
    "biginteger": (0,),
    "float": (0.0, 1.5),
    "boolean": (True, False),
    "enum": ("a",),
}
_UNIQUE_KINDS = ("string", "integer", "uuid")
_CHOICES = ("a", "b", "c")


def _column(rng: random.Random, name: str) -> Col:
    kind = rng.choice(_KINDS)
    unique = kind in _UNIQUE_KINDS and rng.random() < 0.25
    default = None
    if not unique and kind in _DEFAULTS and rng.random() < 0.4:
        default = rng.choice(_DEFAULTS[kind])
    nullable = unique or (default is None and rng.random() < 0.7)
    return Col(
        name=name,
        kind=kind,
        nullable=nullable,
        unique=unique,
        default=default,
        max_length=rng.choice((50, 100, 255)) if kind == "string" else None,
        choices=_CHOICES if kind == "enum" else (),
    )


def tables(models: int = 300, columns: int = 10, seed: int = 1) -> list[Tab]:
    """``models`` tables of ``columns`` columns each (plus ``id``); every third table has a
    foreign key to the previous one, every table one single-column index."""
    rng = random.Random(seed)
    out: list[Tab] = []
    for i in range(1, models + 1):
        name = f"t{i:04d}"
        cols = [_column(rng, f"c{j:02d}") for j in range(1, columns + 1)]
        if i % 3 == 0:
            cols[-1] = Col(
                name="parent_id", kind="integer", nullable=False, references=out[-1].name
            )
        plain = [c.name for c in cols if not c.unique and c.references is None]
        indexes = ((rng.choice(plain),),) if plain else ()
        out.append(Tab(name=name, columns=tuple(cols), indexes=indexes))
    return out
