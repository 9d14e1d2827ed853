"""Every user-facing error message in src/ is explained in docs/troubleshooting.md."""

from __future__ import annotations

from pathlib import Path

from tests.docs.messages import find_messages, fragment_pattern, fragment_text

DOC = Path(__file__).resolve().parents[2] / "docs" / "troubleshooting.md"


def test_the_extractor_sees_the_messages() -> None:
    texts = [m.text for m in find_messages()]
    assert len(texts) > 50
    assert any(t.startswith("Two migration files share the number") for t in texts)
    # A message built by a factory (ModelError through _fail) carries its own text.
    assert any("Enum needs at least one value." in t for t in texts)


def test_every_error_message_is_in_troubleshooting() -> None:
    doc = DOC.read_text(encoding="utf-8")
    missing = [m for m in find_messages() if not fragment_pattern(m.template).search(doc)]
    report = "\n".join(
        f"  {m.where} ({m.raiser}):\n      message:  {m.text}\n"
        f"      expected: {fragment_text(m.template)}"
        for m in missing
    )
    assert not missing, (
        f"{len(missing)} error message(s) are not in docs/troubleshooting.md. Add each one "
        "(… stands for any text) with its cause and fix:\n" + report
    )
