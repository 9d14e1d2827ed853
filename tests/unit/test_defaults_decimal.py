"""A Decimal default must fit the column's digits: databases round it, each its own way."""

from __future__ import annotations

import pytest

from schemashift.models.defaults import DefaultError, render_default


@pytest.mark.parametrize(
    ("value", "digits", "message"),
    [
        ("1.25", (6, 0), "'1.25' has more decimal places than decimal_places=0"),
        ("1.255", (8, 2), "'1.255' has more decimal places than decimal_places=2"),
        ("12345.6", (6, 2), "'12345.6' has more digits than max_digits=6 and decimal_places=2"),
    ],
)
def test_a_decimal_default_that_does_not_fit_is_refused(
    value: str, digits: tuple[int, int], message: str
) -> None:
    with pytest.raises(DefaultError, match=message):
        render_default("decimal", value, digits=digits)


@pytest.mark.parametrize(
    ("value", "digits"), [("1.20", (6, 1)), ("9999.99", (6, 2)), ("0", (6, 0)), ("-7", (1, 0))]
)
def test_a_decimal_default_that_fits_is_kept(value: str, digits: tuple[int, int]) -> None:
    assert render_default("decimal", value, digits=digits) == value
