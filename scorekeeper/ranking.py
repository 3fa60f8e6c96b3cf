"""Leaderboards, risers, one user's standing and the full export.

Each function returns rows of ``Standing``; points are exact thousandths.
Ranks are competition ranks among listed (not excluded) users, ties listed by
``user_id``. The monthly increase is net points of activity dated in the 30 UTC
days ending on the as-of date, that day included.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date
from typing import NamedTuple

from scorekeeper import sql
from scorekeeper.errors import UnknownUserError
from scorekeeper.scoring import Scoring, cached_monthly_date, stored_scoring, window
from scorekeeper.values import INT64_MAX

COLUMNS = ("rank", "user_id", "username", "total_score", "post_likes_score",
           "review_votes_score", "comment_likes_score", "content_creation_score",
           "monthly_increase")
POINT_COLUMNS = frozenset(COLUMNS[3:])


class Standing(NamedTuple):
    rank: int
    user_id: int
    username: str
    total_score: int
    post_likes_score: int
    review_votes_score: int
    comment_likes_score: int
    content_creation_score: int
    monthly_increase: int


def _params(conn: sqlite3.Connection, fallback: Scoring, as_of: date, **extra) -> dict:
    scoring = stored_scoring(conn) or fallback
    start, end = window(as_of)
    return {**scoring.weights, "start": start, "end": end, **extra}


def _fetch(conn: sqlite3.Connection, query: str, params: dict) -> list[Standing]:
    return [Standing(*row) for row in conn.execute(query, params)]


def _query(conn: sqlite3.Connection, as_of: date, live: str, cached: str) -> str:
    """The query that reads the cached monthly increase when it is for ``as_of``."""
    return cached if cached_monthly_date(conn) == as_of else live


def leaderboard(conn: sqlite3.Connection, scoring: Scoring, as_of: date, limit: int) -> list[Standing]:
    """The top ``limit`` users by total score."""
    query = _query(conn, as_of, sql.LEADERBOARD, sql.LEADERBOARD_CACHED)
    return _fetch(conn, query, _params(conn, scoring, as_of, limit=min(limit, INT64_MAX)))


def risers(conn: sqlite3.Connection, scoring: Scoring, as_of: date, limit: int) -> list[Standing]:
    """The top ``limit`` users by a monthly increase above zero."""
    query = _query(conn, as_of, sql.RISERS, sql.RISERS_CACHED)
    return _fetch(conn, query, _params(conn, scoring, as_of, limit=min(limit, INT64_MAX)))


def export(conn: sqlite3.Connection, scoring: Scoring, as_of: date) -> Iterator[Standing]:
    """Every listed user, streamed from the database: consume it inside the snapshot."""
    query = _query(conn, as_of, sql.EXPORT, sql.EXPORT_CACHED)
    return (Standing(*row) for row in conn.execute(query, _params(conn, scoring, as_of)))


def find_user(conn: sqlite3.Connection, user: str, *, by_username: bool = False) -> int:
    """The id of USER: an id when all digits (unless ``by_username``), else a username."""
    if not by_username and user.isascii() and user.isdigit():
        if int(user) > INT64_MAX:
            raise UnknownUserError(f"no user with id {user}: ids are signed 64-bit integers")
        return int(user)
    row = conn.execute(sql.FIND_USER_BY_NAME, (user,)).fetchone()
    if row is None:
        raise UnknownUserError(
            f"no user with username {user!r}; usernames match exactly "
            "(see `scorekeeper export` for the list)"
        )
    return row[0]


def show(conn: sqlite3.Connection, scoring: Scoring, as_of: date, user_id: int) -> Standing:
    """One listed user's standing; unknown and excluded users are an error."""
    query = _query(conn, as_of, sql.SHOW_USER, sql.SHOW_USER_CACHED)
    rows = _fetch(conn, query, _params(conn, scoring, as_of, user_id=user_id))
    if not rows and conn.execute(
        "SELECT 1 FROM users AS u WHERE u.id = ? AND NOT EXISTS"
        " (SELECT 1 FROM user_scores AS s WHERE s.user_id = u.id)", (user_id,)
    ).fetchone():
        raise UnknownUserError(f"user {user_id} has no score yet (an import without its recalculation?); "
                               "run `scorekeeper recalc`")
    if not rows:
        raise UnknownUserError(
            f"user {user_id} is not listed (unknown, deleted or excluded); "
            "see `scorekeeper export` for the users that are"
        )
    return rows[0]
