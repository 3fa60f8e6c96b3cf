"""Parsing and printing of the values scorekeeper stores.

Every parser takes the raw value of one cell (a string from CSV, or whatever
JSON gave) and returns the stored form, or raises ``ValueError`` with a short
reason; the importer adds the file, record and column to that reason.

Points are exact integers in thousandths (``milli``); ``format_points`` prints
them as the shortest exact decimal.
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

_TRUE = frozenset({"1", "true", "yes"})
_FALSE = frozenset({"0", "false", "no"})


def parse_id(value: object) -> int:
    """A signed 64-bit integer id from a CSV string or a JSON integer."""
    if type(value) is str and value.isdigit() and value.isascii():
        number = int(value)  # the common case, checked without the branches below
    elif isinstance(value, bool):
        raise ValueError("is a boolean, not an integer id")
    elif isinstance(value, int):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        digits = text[1:] if text[:1] in ("-", "+") else text
        if not (digits.isascii() and digits.isdigit()):
            raise ValueError("is not an integer")
        number = int(text)
    else:
        raise ValueError("is not an integer")
    if not INT64_MIN <= number <= INT64_MAX:
        raise ValueError("is outside the signed 64-bit range")
    return number


def parse_optional_id(value: object) -> int | None:
    """Like ``parse_id``, but empty or null means unknown (``None``)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return parse_id(value)


def parse_bool(value: object) -> bool:
    """1/0, true/false, yes/no in any case, or a JSON boolean."""
    if value == "1" or value is True:
        return True
    if value == "0" or value is False:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise ValueError("is not a boolean (use 1/0, true/false or yes/no)")


def parse_optional_bool(value: object) -> bool:
    """Like ``parse_bool``, but empty or absent means false."""
    if value is None or value == "":
        return False
    return parse_bool(value)


def parse_timestamp(value: object) -> str:
    """An ISO 8601 time or date, normalised to UTC as ``YYYY-MM-DDTHH:MM:SS[.ffffff]``.

    A time without an offset is UTC; a date alone is midnight. The stored form
    has a fixed layout so that text comparison in SQL is time order.
    """
    if not isinstance(value, str):
        raise ValueError("is not a timestamp (ISO 8601 text expected)")
    text = value.strip()
    size = len(text)
    # Fast paths for the usual layouts; fromisoformat still checks every field.
    if (size == 19 or (size == 20 and text[19] == "Z")) and text[10:11] in ("T", " "):
        try:
            datetime.fromisoformat(text[:19])
        except ValueError:
            raise ValueError("is not an ISO 8601 timestamp (e.g. 2026-11-30T12:00:00Z)") from None
        return f"{text[:10]}T{text[11:19]}"
    if size < 10 or not text[:4].isdigit() or text[4:5] != "-" or text[10:11] not in ("", "T", "t", " "):
        raise ValueError("is not an ISO 8601 timestamp (e.g. 2026-11-30T12:00:00Z)")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("is not an ISO 8601 timestamp (e.g. 2026-11-30T12:00:00Z)") from None
    if moment.tzinfo is not None:
        try:
            moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
        except OverflowError:
            raise ValueError("is outside the years 1 to 9999 in UTC") from None
    return moment.isoformat()


_LIKEABLE = {"post": "post", "comment": "comment"}


def parse_likeable_type(value: object) -> str:
    """``post`` or ``comment`` in any case, or a class name ending in ``\\Post``/``\\Comment``."""
    if type(value) is str and value in _LIKEABLE:
        return _LIKEABLE[value]
    if isinstance(value, str):
        text = value.strip().rsplit("\\", 1)[-1].lower()
        if text in ("post", "comment"):
            return text
    raise ValueError("is not a likeable_type (use post or comment)")


def parse_vote_type(value: object) -> str:
    """``up`` or ``down`` in any case."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("up", "down"):
            return text
    raise ValueError("is not a vote_type (use up or down)")


def parse_text(value: object) -> str:
    """Any non-empty text, kept exactly as given."""
    if isinstance(value, str) and value != "":
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise ValueError("is not text")


def parse_optional_text(value: object) -> str | None:
    if value is None or value == "":
        return None
    return parse_text(value)


def points_to_milli(value: object) -> int:
    """Exact thousandths of a point; more than three decimals is an error."""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError("is not a number") from None
    if not number.is_finite():
        raise ValueError("is not a finite number")
    milli = number * 1000
    if milli != milli.to_integral_value():
        raise ValueError("has more than three decimals, which cannot be stored exactly")
    return int(milli)


def format_points(milli: int) -> str:
    """The shortest exact decimal for thousandths: 3000 -> '3', -500 -> '-0.5'."""
    sign = "-" if milli < 0 else ""
    whole, frac = divmod(abs(milli), 1000)
    if not frac:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{frac:03d}".rstrip("0")
