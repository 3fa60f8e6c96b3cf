"""The six kinds of activity: their columns, how each value is parsed, and how a
row is stored. Files and hook events share these definitions.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from scorekeeper import values


@dataclass(frozen=True)
class Column:
    name: str
    parse: Callable[[Any], Any]
    required: bool = True  # the column must be present (its value may still be optional)


@dataclass(frozen=True)
class Kind:
    name: str  # the table and the file-name stem
    event: str  # the hook event prefix
    columns: tuple[Column, ...]
    upsert: str  # one row, bound positionally in column order

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)


def _item_upsert(table: str) -> str:
    return f"""
INSERT INTO {table} (id, user_id, created_at) VALUES (?, ?, ?)
ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, created_at = excluded.created_at
WHERE {table}.user_id IS NOT excluded.user_id OR {table}.created_at IS NOT excluded.created_at
"""


USERS = Kind("users", "user", (
    Column("id", values.parse_id),
    Column("username", values.parse_text),
    Column("name", values.parse_optional_text),
    Column("created_at", values.parse_timestamp),
    Column("is_bot", values.parse_optional_bool, required=False),
), """
INSERT INTO users (id, username, name, created_at, is_bot) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET
    username = excluded.username, name = excluded.name,
    created_at = excluded.created_at, is_bot = excluded.is_bot
WHERE users.username IS NOT excluded.username OR users.name IS NOT excluded.name
   OR users.created_at IS NOT excluded.created_at OR users.is_bot IS NOT excluded.is_bot
""")

_ITEM_COLUMNS = (
    Column("id", values.parse_id),
    Column("user_id", values.parse_id),
    Column("created_at", values.parse_timestamp),
)
POSTS = Kind("posts", "post", _ITEM_COLUMNS, _item_upsert("posts"))
REVIEWS = Kind("reviews", "review", _ITEM_COLUMNS, _item_upsert("reviews"))
COMMENTS = Kind("comments", "comment", _ITEM_COLUMNS, _item_upsert("comments"))

# The author of the target is looked up as the row goes in (see schema.py).
LIKES = Kind("likes", "like", (
    Column("id", values.parse_id),
    Column("user_id", values.parse_optional_id),
    Column("likeable_type", values.parse_likeable_type),
    Column("likeable_id", values.parse_id),
    Column("is_like", values.parse_bool),
    Column("created_at", values.parse_timestamp),
), """
INSERT INTO likes (id, user_id, likeable_type, likeable_id, is_like, created_at, author_id)
VALUES (?1, ?2, ?3, ?4, ?5, ?6,
        CASE ?3 WHEN 'post' THEN (SELECT user_id FROM posts WHERE id = ?4)
                ELSE (SELECT user_id FROM comments WHERE id = ?4) END)
ON CONFLICT (id) DO UPDATE SET
    user_id = excluded.user_id, likeable_type = excluded.likeable_type,
    likeable_id = excluded.likeable_id, is_like = excluded.is_like,
    created_at = excluded.created_at, author_id = excluded.author_id
WHERE likes.user_id IS NOT excluded.user_id OR likes.likeable_type IS NOT excluded.likeable_type
   OR likes.likeable_id IS NOT excluded.likeable_id OR likes.is_like IS NOT excluded.is_like
   OR likes.created_at IS NOT excluded.created_at OR likes.author_id IS NOT excluded.author_id
""")

REVIEW_VOTES = Kind("review_votes", "review_vote", (
    Column("id", values.parse_id),
    Column("user_id", values.parse_optional_id),
    Column("review_id", values.parse_id),
    Column("vote_type", values.parse_vote_type),
    Column("created_at", values.parse_timestamp),
), """
INSERT INTO review_votes (id, user_id, review_id, vote_type, created_at, author_id)
VALUES (?1, ?2, ?3, ?4, ?5, (SELECT user_id FROM reviews WHERE id = ?3))
ON CONFLICT (id) DO UPDATE SET
    user_id = excluded.user_id, review_id = excluded.review_id,
    vote_type = excluded.vote_type, created_at = excluded.created_at,
    author_id = excluded.author_id
WHERE review_votes.user_id IS NOT excluded.user_id
   OR review_votes.review_id IS NOT excluded.review_id
   OR review_votes.vote_type IS NOT excluded.vote_type
   OR review_votes.created_at IS NOT excluded.created_at
   OR review_votes.author_id IS NOT excluded.author_id
""")

KINDS: dict[str, Kind] = {k.name: k for k in (USERS, POSTS, REVIEWS, COMMENTS, LIKES, REVIEW_VOTES)}
# Kinds in the order that lets each row find what it points at.
IMPORT_ORDER = ("users", "posts", "reviews", "comments", "likes", "review_votes")


def kind_for_stem(stem: str) -> Kind | None:
    """The kind a file name stem names: the stem itself, or the longest kind name
    the stem starts with followed by ``-``, ``_`` or ``.``."""
    if stem in KINDS:
        return KINDS[stem]
    for name in sorted(KINDS, key=len, reverse=True):
        if stem.startswith(name) and stem[len(name):len(name) + 1] in ("-", "_", "."):
            return KINDS[name]
    return None


def _fold(name: str) -> str:
    return re.sub(r"[-_]", "", name).lower()


def near_miss(kind: Kind, name: str) -> str | None:
    """The schema column that ``name`` differs from only in case, ``-`` or ``_``."""
    for column in kind.column_names:
        if name != column and _fold(name) == _fold(column):
            return column
    return None


class RowError(ValueError):
    """One value of a record is bad: which column, what value, and why."""

    def __init__(self, column: str, value: Any, reason: str):
        super().__init__(f"column {column}: value {value!r} {reason}")
        self.column, self.value, self.reason = column, value, reason


_OPTIONAL_VALUE = (values.parse_optional_id, values.parse_optional_text, values.parse_optional_bool)


def _row_parser(parsers: tuple[Callable[[Any], Any], ...]) -> Callable[[list[Any]], tuple]:
    """One function that parses a whole row: the hot loop of an import."""
    if len(parsers) == 3:
        a, b, c = parsers
        return lambda r: (a(r[0]), b(r[1]), c(r[2]))
    if len(parsers) == 5:
        a, b, c, d, e = parsers
        return lambda r: (a(r[0]), b(r[1]), c(r[2]), d(r[3]), e(r[4]))
    if len(parsers) == 6:
        a, b, c, d, e, f = parsers
        return lambda r: (a(r[0]), b(r[1]), c(r[2]), d(r[3]), e(r[4]), f(r[5]))
    return lambda r: tuple(p(v) for p, v in zip(parsers, r))


_FAST = {}


def parse_values(kind: Kind, raw: list[Any]) -> tuple:
    """The stored row for raw values given in column order (``None`` where absent).

    Raises RowError naming the first bad column, its value and the reason.
    """
    fast = _FAST.get(kind.name)
    if fast is None:
        fast = _FAST[kind.name] = _row_parser(tuple(c.parse for c in kind.columns))
    try:
        return fast(raw)
    except (ValueError, TypeError):
        pass
    for column, value in zip(kind.columns, raw):
        if (value is None or value == "") and column.parse not in _OPTIONAL_VALUE:
            raise RowError(column.name, value, "is missing (a value is required)")
        try:
            column.parse(value)
        except (ValueError, TypeError) as exc:
            raise RowError(column.name, value, str(exc)) from None
    raise AssertionError("a row failed to parse but no column did")  # a bug, not bad input
