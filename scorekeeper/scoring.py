"""Recalculating scores from the stored activity, for everybody or one user.

``recalc_scores`` is the batch path: a fixed number of set-based statements in
one transaction, whatever the number of users. It also adopts the weights and
exclusions it ran with, and records them so that ``hook`` can tell when its own
settings differ from those behind the stored scores.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from scorekeeper import sql
from scorekeeper.db import Database, get_meta, set_meta
from scorekeeper.errors import ConfigError, UnknownUserError, UsageError

COMPONENTS = ("post_likes_score", "review_votes_score", "comment_likes_score",
              "content_creation_score")
SCORING_KEY = "scoring"
STALE_KEY = "stale"
MONTHLY_KEY = "monthly_as_of"  # the as-of date of user_scores.monthly_increase
WINDOW_DAYS = 30


@dataclass(frozen=True)
class Scoring:
    """What stored scores depend on: weights (thousandths) and excluded usernames."""

    weights: dict[str, int]
    excluded_usernames: tuple[str, ...]

    @classmethod
    def from_settings(cls, settings) -> Scoring:
        return cls(settings.weights.milli(), tuple(sorted(set(settings.excluded_usernames))))

    def to_json(self) -> str:
        return json.dumps({"weights": self.weights,
                           "excluded_usernames": list(self.excluded_usernames)},
                          sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Scoring:
        data = json.loads(text)
        return cls(data["weights"], tuple(data["excluded_usernames"]))

    def params(self) -> dict[str, object]:
        return {**self.weights, "excluded_usernames": json.dumps(list(self.excluded_usernames))}

    def is_excluded(self, username: str, is_bot: bool) -> bool:
        return bool(is_bot) or username in self.excluded_usernames


@dataclass
class RecalcResult:
    users: int
    changed: int
    drift: int  # sum of |total difference| over changed users, thousandths
    adopted: bool  # the settings differ from those the stored scores had
    was_stale: bool


def window(as_of: date) -> tuple[str, str]:
    """The monthly window of an as-of date: [start, end) as stored-time text.

    The 30 UTC days ending on the as-of date, that day included.
    """
    try:
        end = datetime.combine(as_of + timedelta(days=1), time())
        start = end - timedelta(days=WINDOW_DAYS)
    except OverflowError:
        raise UsageError(f"--as-of {as_of} leaves no 30-day window inside the calendar; "
                         "use a date from 0001-01-30 to 9999-12-30") from None
    return start.isoformat(), end.isoformat()


def today() -> date:
    return datetime.now(timezone.utc).date()


def cached_monthly_date(conn: sqlite3.Connection) -> date | None:
    """The as-of date whose monthly increase user_scores holds, if it can be trusted."""
    text = get_meta(conn, MONTHLY_KEY)
    if text is None or is_stale(conn):
        return None
    return date.fromisoformat(text)


def now_text() -> str:
    return datetime.now(timezone.utc).replace(tzinfo=None).isoformat(timespec="seconds")


def stored_scoring(conn: sqlite3.Connection) -> Scoring | None:
    text = get_meta(conn, SCORING_KEY)
    return Scoring.from_json(text) if text else None


def is_stale(conn: sqlite3.Connection) -> bool:
    return get_meta(conn, STALE_KEY) is not None


def mark_stale(conn: sqlite3.Connection) -> None:
    set_meta(conn, STALE_KEY, now_text())


def _calculate(conn: sqlite3.Connection, scoring: Scoring,
               monthly_as_of: date | None) -> tuple[int, int, int]:
    conn.execute("DROP TABLE IF EXISTS temp.calc")
    conn.execute(sql.CREATE_CALC_TABLE)
    start, end = window(monthly_as_of or today())
    conn.execute(sql.FILL_CALC_TABLE, {**scoring.params(), "start": start, "end": end})
    users = conn.execute("SELECT COUNT(*) FROM temp.calc").fetchone()[0]
    changed, drift = conn.execute(sql.DRIFT).fetchone()
    return users, changed, drift


def recalc_scores(database: Database, scoring: Scoring, *, check: bool = False,
                  on_step: Callable[[str], None] | None = None,
                  monthly_as_of: date | None = None) -> RecalcResult:
    """Recompute every score; write the differences unless ``check``. Returns what differed.

    A writing recalc also caches every user's monthly increase for
    ``monthly_as_of`` (default today, UTC), which hooks then keep up to date.
    """
    step = on_step or (lambda _name: None)
    context = database.snapshot() if check else database.transaction()
    with context as conn:
        previous = stored_scoring(conn)
        was_stale = is_stale(conn)
        step("calculating")
        as_of = None if check else (monthly_as_of or today())
        users, changed, drift = _calculate(conn, scoring, as_of)
        if not check:
            step("writing")
            conn.execute(sql.WRITE_CALC, {"now": now_text()})
            conn.execute(sql.DELETE_ORPHAN_SCORES)
            set_meta(conn, SCORING_KEY, scoring.to_json())
            set_meta(conn, STALE_KEY, None)
            set_meta(conn, MONTHLY_KEY, as_of.isoformat())
        conn.execute("DROP TABLE temp.calc")
    adopted = previous is not None and previous != scoring
    return RecalcResult(users, changed, drift, adopted, was_stale)


def user_components(conn: sqlite3.Connection, scoring: Scoring, user_id: int) -> tuple[int, ...]:
    """One user's four components from scratch, in thousandths."""
    return tuple(conn.execute(sql.USER_SCORE, {**scoring.weights, "user_id": user_id}).fetchone())


def store_user_score(conn: sqlite3.Connection, scoring: Scoring, user_id: int) -> None:
    """Recompute one known user's row in ``user_scores`` (inside the caller's transaction)."""
    row = conn.execute("SELECT username, is_bot FROM users WHERE id = ?", (user_id,)).fetchone()
    if row is None:
        raise UnknownUserError(f"no user with id {user_id}; check the id with `scorekeeper export`")
    parts = user_components(conn, scoring, user_id)
    monthly = 0
    as_of = cached_monthly_date(conn)
    if as_of is not None:
        start, end = window(as_of)
        monthly = conn.execute(sql.USER_MONTHLY, {**scoring.weights, "user_id": user_id,
                                                  "start": start, "end": end}).fetchone()[0]
    conn.execute(sql.UPSERT_USER_SCORE, {
        "user_id": user_id, "total_score": sum(parts), "monthly_increase": monthly,
        **dict(zip(COMPONENTS, parts)),
        "excluded": int(scoring.is_excluded(row[0], row[1])), "now": now_text(),
    })


def ensure_same_scoring(conn: sqlite3.Connection, scoring: Scoring) -> None:
    """Refuse settings other than those behind the stored scores; record them on a new database."""
    previous = stored_scoring(conn)
    if previous is None:
        set_meta(conn, SCORING_KEY, scoring.to_json())
    elif previous != scoring:
        raise ConfigError(
            "the weights or excluded usernames differ from those the stored scores were "
            "computed with; run `scorekeeper recalc` to adopt them for every user, then retry"
        )


def calculate_user(database: Database, scoring: Scoring, user_id: int) -> None:
    """Recalculate and store one user's score, in its own transaction."""
    with database.transaction() as conn:
        ensure_same_scoring(conn, scoring)
        store_user_score(conn, scoring, user_id)
