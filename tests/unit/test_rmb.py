"""Amounts in Chinese capitals (localapp/catalogue/rmb.py): a table of known
spellings worked out from the PBOC rules, and a round trip through a parser
written here, independently of the code under test, for random amounts."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from localapp.catalogue.rmb import capitals

#: (yuan as written in figures, capitals); figures are turned into cents exactly
KNOWN: list[tuple[str, str]] = [
    ("1234.56", "壹仟贰佰叁拾肆元伍角陆分"),
    ("1234.50", "壹仟贰佰叁拾肆元伍角"),  # no 整 after 角
    ("1234.00", "壹仟贰佰叁拾肆元整"),
    ("0.05", "伍分"),
    ("0.50", "伍角"),
    ("0.55", "伍角伍分"),
    ("0", "零元整"),
    ("1", "壹元整"),
    ("10", "壹拾元整"),  # never a bare 拾
    ("1.05", "壹元零伍分"),
    ("10.50", "壹拾元伍角"),  # 元位 0, 角 not: no 零
    ("1000.05", "壹仟元零伍分"),
    ("1680.32", "壹仟陆佰捌拾元叁角贰分"),
    ("1001", "壹仟零壹元整"),
    ("1010", "壹仟零壹拾元整"),
    ("1100", "壹仟壹佰元整"),
    ("10001", "壹万零壹元整"),
    ("101000", "壹拾万壹仟元整"),  # 万位 0, 仟位 not: no 零
    ("107000.53", "壹拾万柒仟元伍角叁分"),
    ("100000", "壹拾万元整"),
    ("1010100", "壹佰零壹万零壹佰元整"),
    ("1000000.00", "壹佰万元整"),
    ("1000100", "壹佰万零壹佰元整"),
    ("10000000", "壹仟万元整"),
    ("10001000", "壹仟万壹仟元整"),
    ("100000010.05", "壹亿零壹拾元零伍分"),
    ("100010000.00", "壹亿零壹万元整"),  # 1,0001,0000
    ("100001000", "壹亿零壹仟元整"),  # a whole 万 group of zeros: one 零
    ("100000001", "壹亿零壹元整"),
    ("1000010000000", "壹万亿零壹仟万元整"),
    ("1000000000000", "壹万亿元整"),
    ("1234500000000", "壹万贰仟叁佰肆拾伍亿元整"),
    ("1000000010000", "壹万亿零壹万元整"),
    ("1012300000000", "壹万零壹佰贰拾叁亿元整"),
    ("2000000000000.01", "贰万亿元零壹分"),
    ("99999999.99", "玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    ("-12.50", "负壹拾贰元伍角"),
    ("-0.01", "负壹分"),
]


def cents_of(figures: str) -> int:
    sign = -1 if figures.startswith("-") else 1
    yuan, _dot, fen = figures.lstrip("-").partition(".")
    return sign * (int(yuan) * 100 + int(fen.ljust(2, "0")))


@pytest.mark.parametrize(("figures", "expected"), KNOWN, ids=[f for f, _ in KNOWN])
def test_known_amounts(figures: str, expected: str) -> None:
    assert capitals(cents_of(figures)) == expected


def test_the_table_is_wide_enough() -> None:
    assert len(KNOWN) >= 25


def test_the_largest_amount_and_the_limits() -> None:
    top = 10**18 - 1
    assert capitals(top).startswith("玖仟玖佰玖拾玖万玖仟玖佰玖拾玖亿")
    assert parse(capitals(top)) == top
    with pytest.raises(ValueError):
        capitals(10**18)
    with pytest.raises(TypeError):
        capitals(12.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        capitals(True)


# ---- an independent parser: capitals back to cents ---------------------------

NUMERALS = {c: n for n, c in enumerate("零壹贰叁肆伍陆柒捌玖")}
SMALL = {"拾": 10, "佰": 100, "仟": 1000}


def parse(text: str) -> int:
    """Cents from capitals, the way a reader adds them up: digits times places,
    万 multiplies what came since the last 亿, 亿 multiplies everything before."""
    sign = -1 if text.startswith("负") else 1
    text = text.removeprefix("负").removesuffix("整")
    yuan_text, _mark, rest = text.rpartition("元") if "元" in text else ("", "", text)
    fen = 0
    for unit, scale in (("角", 10), ("分", 1)):
        if unit in rest:
            head, rest = rest.split(unit, 1)
            fen += NUMERALS[head.removeprefix("零")] * scale
    assert rest == "", text
    total = section = digit = 0
    for char in yuan_text:
        if char in NUMERALS:
            digit = NUMERALS[char]
        elif char in SMALL:
            section, digit = section + digit * SMALL[char], 0
        elif char == "万":
            section, digit = (section + digit) * 10_000, 0
        elif char == "亿":
            total, section, digit = (total + section + digit) * 10**8, 0, 0
        else:
            raise AssertionError(f"unexpected {char!r} in {text}")
    return sign * ((total + section + digit) * 100 + fen)


def test_the_parser_reads_the_table() -> None:
    for figures, words in KNOWN:
        assert parse(words) == cents_of(figures), words


@settings(max_examples=2000, deadline=None)
@given(st.integers(min_value=0, max_value=10**13))
def test_capitals_round_trip(cents: int) -> None:
    words = capitals(cents)
    assert parse(words) == cents
    # the spelling rules a parser does not check
    assert "零零" not in words
    assert cents == 0 or not any(f"零{unit}" in words for unit in "元万亿角分整")
    assert words.endswith(("整", "角", "分"))
    assert words.endswith("整") == (cents % 100 == 0)
    assert words.startswith("零") == (cents == 0)
    assert capitals(-cents) == ("负" + words if cents else words)
