"""The SQL in docs/models.md is what the renderers produce, and its examples run."""

from __future__ import annotations

from tests.docs.sql_reference import BLOCKS, DOC, doc_blocks


def test_every_generated_block_is_present() -> None:
    assert sorted(doc_blocks(DOC.read_text(encoding="utf-8"))) == sorted(BLOCKS)


def test_generated_blocks_match_the_renderers() -> None:
    found = doc_blocks(DOC.read_text(encoding="utf-8"))
    stale = [key for key, make in BLOCKS.items() if found.get(key) != make()]
    assert not stale, (
        f"docs/models.md shows SQL that the code no longer produces (blocks {stale}). "
        "Regenerate them with `python -m tests.docs.sql_reference --write` and review the diff."
    )
