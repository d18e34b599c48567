"""Money: prices are integer cents (fen), parsed from text or spreadsheet numbers
through Decimal and never through float arithmetic; rounding is half up, once
per amount, as on an invoice."""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from .checks import Invalid

#: the largest amount kept, in cents (a 15-digit number stays exact everywhere)
MAX_CENTS = 10**15 - 1

_CENT = Decimal("0.01")
_PLAIN_NUMBER = re.compile(r"^-?(\d+(\.\d*)?|\.\d+)$")
_GROUPED_NUMBER = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d*)?$")
_CURRENCY_MARKS = ("¥", "￥", "$", "元", "RMB", "CNY", "rmb", "cny")


def to_decimal(value: Any) -> Decimal:
    """A number written in a cell or a request, as an exact Decimal.

    Spreadsheet numbers arrive as binary floats; they are read back at 15
    significant digits (what Excel shows), so 0.1 + 0.2 is 0.3, not
    0.30000000000000004. Text may carry a currency mark, thousands
    separators and full-width digits (１２.５０).
    """
    if isinstance(value, bool):
        raise Invalid("must be a number, not true/false", "not_a_number")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise Invalid("must be a number", "not_a_number")
        return Decimal(format(value, ".15g"))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise Invalid("must be a number", "not_a_number")
        return value
    if not isinstance(value, str):
        raise Invalid("must be a number", "not_a_number")
    text = unicodedata.normalize("NFKC", value).strip()
    for mark in _CURRENCY_MARKS:
        text = text.replace(mark, "")
    text = text.replace(" ", "").replace("\u00a0", "")
    if not text:
        raise Invalid("is required", "required")
    if _GROUPED_NUMBER.match(text):
        text = text.replace(",", "")
    if not _PLAIN_NUMBER.match(text):
        raise Invalid(f"{value.strip()[:40]!r} is not a number", "not_a_number")
    try:
        return Decimal(text)
    except InvalidOperation:
        raise Invalid(f"{value.strip()[:40]!r} is not a number", "not_a_number") from None


#: "12", "12.5", "12.50": most cells of a price list, read without Decimal.
_PLAIN_AMOUNT = re.compile(r"(\d{1,13})(?:\.(\d{0,2}))?")


def parse_money(value: Any) -> int:
    """An amount in major units (yuan: 12.5, "12.50", "¥1,299") as integer cents."""
    if value.__class__ is str:
        plain = _PLAIN_AMOUNT.fullmatch(value)
        if plain is not None:
            yuan, fen = plain.groups()
            return int(yuan) * 100 + int((fen or "").ljust(2, "0"))
    amount = to_decimal(value)
    if amount < 0:
        raise Invalid("must not be negative", "negative")
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise Invalid(f"{amount} has more than 2 decimal places", "too_many_decimals")
    if cents > MAX_CENTS:
        raise Invalid("is too large", "too_large", max=cents_text(MAX_CENTS))
    return int(cents)


def parse_cents(value: Any) -> int:
    """A price already in cents (the API's `price`): a whole number, not negative."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid(
            "must be a whole number of cents (1250 for 12.50), or send price_decimal as text",
            "not_a_number",
        )
    if isinstance(value, float):
        if not value.is_integer():
            raise Invalid("must be a whole number of cents (1250 for 12.50)", "not_a_number")
        value = int(value)
    if value < 0:
        raise Invalid("must not be negative", "negative")
    if value > MAX_CENTS:
        raise Invalid("is too large", "too_large", max=cents_text(MAX_CENTS))
    return value


def cents_text(cents: int) -> str:
    """1250 -> "12.50": an exact decimal string for display."""
    return str((Decimal(cents) / 100).quantize(_CENT))


def round_cents(value: Decimal) -> int:
    """An exact amount in cents, rounded half up to a whole cent (as on an invoice)."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))
