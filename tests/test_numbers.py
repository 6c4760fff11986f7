from decimal import Decimal
"""Rounding and number formatting, as a table of inputs and outputs."""

import pytest

from generator.numbers import Precision, RoundingPolicy, format_number, is_exact, round_value

D = lambda n: Precision("decimals", n)
S = lambda n: Precision("significant", n)


@pytest.mark.parametrize("x,p,expected", [
    (2.675, D(2), 2.68),          # half up on the decimal value, despite binary 2.67499…
    (1.005, D(2), 1.01),
    (-2.675, D(2), -2.68),        # half away from zero, symmetric
    (0.125, D(2), 0.13),
    (0.1234, D(3), 0.123),
    (123.456, S(4), 123.5),
    (0.00123456, S(3), 0.00123),
    (9.996, S(3), 10.0),
    (-0.0004, D(3), 0.0),
    (466.56000000000006, D(4), 466.56),
])
def test_round_value(x, p, expected):
    assert round_value(x, p) == expected


@pytest.mark.parametrize("x,policy,kind,text", [
    (3.0, RoundingPolicy(), "activation", "3"),
    (-0.0, RoundingPolicy(), "activation", "0"),
    (-0.00004, RoundingPolicy(), "activation", "0.0000"),        # rounds to 0 but is not 0: all places kept
    (0.6581, RoundingPolicy(default=D(3), decimal_comma=True), "activation", "0,658"),
    (0.5, RoundingPolicy(default=D(3), trailing_zeros=True), "activation", "0.500"),
    (0.5, RoundingPolicy(default=D(3)), "activation", "0.5"),
    (2.675, RoundingPolicy(default=D(2)), "loss", "2.68"),
    (0.0351648, RoundingPolicy(default=S(3)), "gradient", "0.0352"),
    (1234567.0, RoundingPolicy(default=S(3)), "gradient", "1234567"),   # integers print as integers
    (0.1 + 0.2, RoundingPolicy(), None, "0.30000000000000004"),           # a given value, as given
    (0.3, RoundingPolicy(default=D(1), per_kind=(("gradient", D(4)),)), "gradient", "0.3"),
    (0.123456, RoundingPolicy(default=D(1), per_kind=(("gradient", D(4)),)), "gradient", "0.1235"),
    (0.123456, RoundingPolicy(default=D(1), per_kind=(("gradient", D(4)),)), "loss", "0.1"),
    (1e-20, RoundingPolicy(default=S(2)), "gradient", "1.0e-20"),      # scientific below 1e-10
])
def test_format_number(x, policy, kind, text):
    assert format_number(x, policy, kind) == text


def test_exactness():
    assert is_exact(0.0432, D(4)) and not is_exact(0.04321, D(4))
    assert is_exact(Decimal("21.6") ** 2, D(4))   # exact decimal arithmetic: 466.56
    assert not is_exact(Decimal("0.12345"), D(4))
    assert is_exact(3.1, D(1))
