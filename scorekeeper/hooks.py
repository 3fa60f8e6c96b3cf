"""The incremental path: apply one event to the activity and the stored scores.

Every event stores its row and adds the exact change in points to the users it
touches, inside the caller's transaction, so that a later full recalculation
finds nothing to fix. The change is worked out from the stored state before
the write: what the old row gave (to its old author) is taken back, what the
new row gives (to its new author) is added.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from scorekeeper import kinds, sql, values
from scorekeeper.db import Database, translate
from scorekeeper.errors import DataError, ScorekeeperError, UsageError
from scorekeeper.scoring import (
    Scoring,
    cached_monthly_date,
    ensure_same_scoring,
    now_text,
    store_user_score,
    window,
)

# Component positions in a delta.
POST_LIKES, REVIEW_VOTES, COMMENT_LIKES, CREATION = range(4)

_BY_EVENT = {kind.event: kind for kind in kinds.KINDS.values()}
_ACTIONS = {
    "user": ("created", "updated", "deleted"),
    "post": ("created", "deleted"),
    "review": ("created", "deleted"),
    "comment": ("created", "deleted"),
    "like": ("created", "updated", "deleted"),
    "review_vote": ("created", "updated", "deleted"),
}
EVENT_NAMES = tuple(f"{prefix}.{action}" for prefix, actions in _ACTIONS.items() for action in actions)
_ITEM = {  # item table -> (like table column test, creation weight, like component)
    "posts": ("post", "post_created", POST_LIKES),
    "comments": ("comment", "comment_created", COMMENT_LIKES),
    "reviews": (None, "review_created", REVIEW_VOTES),
}


@dataclass
class Event:
    name: str  # e.g. "like.created"
    kind: kinds.Kind
    action: str
    event_id: str | None
    row: tuple  # the parsed row; for deletes, just (id,)


@dataclass
class Outcome:
    applied: int = 0
    skipped_replays: int = 0
    notes: list[str] = field(default_factory=list)



def parse_event(record: Any, warn: Callable[[str], None] | None = None) -> Event:
    """Validate one event object; raises DataError naming the field and value."""
    if not isinstance(record, dict):
        raise DataError(f"an event must be a JSON object, not {type(record).__name__}")
    name = record.get("event")
    prefix, _, action = name.partition(".") if isinstance(name, str) else ("", "", "")
    if prefix not in _ACTIONS or action not in _ACTIONS[prefix]:
        raise DataError(f"field event: value {name!r} is not a known event "
                        f"(known: {', '.join(EVENT_NAMES)})")
    kind = _BY_EVENT[prefix]
    event_id = record.get("event_id")
    if event_id is not None and not (isinstance(event_id, str) and event_id):
        raise DataError(f"field event_id: value {event_id!r} is not a non-empty string")
    for key in record:
        if key in ("event", "event_id") or key in kind.column_names:
            continue
        meant = kinds.near_miss(kind, key)
        if meant:
            raise DataError(f"field {key!r} is not a {prefix} field; did you mean {meant!r}?")
        if warn:
            warn(f"ignoring unknown field {key!r} of {name} events")
    try:
        if action == "deleted":
            try:
                row = (values.parse_id(record.get("id")),)
            except (ValueError, TypeError) as exc:
                raise kinds.RowError("id", record.get("id"), str(exc)) from None
        else:
            missing = [c.name for c in kind.columns if c.required and c.name not in record]
            if missing:
                raise DataError(f"field {missing[0]} is missing from the {name} event "
                                "(created and updated events carry the full row)")
            row = kinds.parse_values(kind, [record.get(c) for c in kind.column_names])
    except kinds.RowError as exc:
        raise DataError(f"field {exc.column}: value {exc.value!r} {exc.reason}") from None
    return Event(name, kind, action, event_id, row)


class _Change:
    """What one event does to stored scores: per user, the four components and the
    cached monthly increase (for the as-of date in meta, when there is one)."""

    def __init__(self, weights: dict[str, int], window: tuple[str, str] | None):
        self.w = weights
        self.window = window
        self.users: dict[int, list[int]] = {}

    def in_window(self, when: str | None) -> bool:
        return self.window is not None and when is not None and self.window[0] <= when < self.window[1]

    def add(self, user_id: int | None, component: int, points: int, when: str | None = None,
            monthly: int | None = None) -> None:
        """Add points to a component; they count monthly when dated ``when`` in the
        window, or give ``monthly`` for a sum of rows with dates of their own."""
        if user_id is None:
            return
        if monthly is None:
            monthly = points if self.in_window(when) else 0
        if points or monthly:
            totals = self.users.setdefault(user_id, [0, 0, 0, 0, 0])
            totals[component] += points
            totals[4] += monthly

    def window_params(self) -> dict[str, str]:
        start, end = self.window or ("", "")
        return {"start": start, "end": end}


def _like_points(w: dict[str, int], likeable_type: str, is_like: int) -> tuple[int, int]:
    if likeable_type == "post":
        return POST_LIKES, w["post_like"] if is_like else w["post_dislike"]
    return COMMENT_LIKES, w["comment_like"] if is_like else w["comment_dislike"]


def _vote_points(w: dict[str, int], vote_type: str) -> int:
    return w["review_upvote"] if vote_type == "up" else w["review_downvote"]


def _hanging_points(conn: sqlite3.Connection, change: _Change, table: str,
                    item_id: int) -> tuple[int, int]:
    """The points the likes or votes on one item give its author: in all, and dated
    in the monthly window."""
    like_type = _ITEM[table][0]
    if like_type is None:
        points, source = sql.VOTE_POINTS, "review_votes WHERE review_id = :id"
    else:
        points, source = sql.LIKE_POINTS, "likes WHERE likeable_type = :type AND likeable_id = :id"
    query = (f"SELECT COALESCE(SUM({points}), 0), COALESCE(SUM(CASE WHEN created_at >= :start"
             f" AND created_at < :end THEN {points} END), 0) FROM {source}")
    params = {**change.w, **change.window_params(), "id": item_id, "type": like_type}
    return tuple(conn.execute(query, params).fetchone())


def _apply_like(conn, change: _Change, event: Event) -> bool:
    w = change.w
    like_id = event.row[0]
    old = conn.execute("SELECT likeable_type, is_like, author_id, created_at FROM likes"
                       " WHERE id = ?", (like_id,)).fetchone()
    if old:
        component, points = _like_points(w, old[0], old[1])
        change.add(old[2], component, -points, old[3])
    if event.action == "deleted":
        conn.execute("DELETE FROM likes WHERE id = ?", (like_id,))
        return old is not None
    _, _, likeable_type, likeable_id, is_like, created_at = event.row
    table = "posts" if likeable_type == "post" else "comments"
    author = conn.execute(f"SELECT user_id FROM {table} WHERE id = ?", (likeable_id,)).fetchone()
    component, points = _like_points(w, likeable_type, is_like)
    change.add(author[0] if author else None, component, points, created_at)
    conn.execute(event.kind.upsert, event.row)
    return True


def _apply_vote(conn, change: _Change, event: Event) -> bool:
    w = change.w
    vote_id = event.row[0]
    old = conn.execute("SELECT vote_type, author_id, created_at FROM review_votes WHERE id = ?",
                       (vote_id,)).fetchone()
    if old:
        change.add(old[1], REVIEW_VOTES, -_vote_points(w, old[0]), old[2])
    if event.action == "deleted":
        conn.execute("DELETE FROM review_votes WHERE id = ?", (vote_id,))
        return old is not None
    _, _, review_id, vote_type, created_at = event.row
    author = conn.execute("SELECT user_id FROM reviews WHERE id = ?", (review_id,)).fetchone()
    change.add(author[0] if author else None, REVIEW_VOTES, _vote_points(w, vote_type), created_at)
    conn.execute(event.kind.upsert, event.row)
    return True


def _apply_item(conn, change: _Change, event: Event) -> bool:
    table = event.kind.name
    _, weight, component = _ITEM[table]
    item_id = event.row[0]
    old = conn.execute(f"SELECT user_id, created_at FROM {table} WHERE id = ?",
                       (item_id,)).fetchone()
    hanging, hanging_monthly = _hanging_points(conn, change, table, item_id)
    if old:
        change.add(old[0], component, -hanging, monthly=-hanging_monthly)
        change.add(old[0], CREATION, -change.w[weight], old[1])
    if event.action == "deleted":
        conn.execute(f"DELETE FROM {table} WHERE id = ?", (item_id,))
        return old is not None
    _, new_author, created_at = event.row
    change.add(new_author, component, hanging, monthly=hanging_monthly)
    change.add(new_author, CREATION, change.w[weight], created_at)
    conn.execute(event.kind.upsert, event.row)
    return True


def _apply_user(conn, scoring: Scoring, change: _Change, event: Event) -> bool:
    w = scoring.weights
    user_id = event.row[0]
    exists = conn.execute("SELECT 1 FROM users WHERE id = ?", (user_id,)).fetchone()
    if event.action == "deleted":
        if not exists:
            return False
        # What she cast on other people's items leaves their scores.
        window = change.window_params()
        for author, likeable_type, is_like, n, n_monthly in conn.execute(
            "SELECT author_id, likeable_type, is_like, COUNT(*),"
            " COUNT(CASE WHEN created_at >= :start AND created_at < :end THEN 1 END)"
            " FROM likes WHERE user_id = :user AND author_id IS NOT NULL GROUP BY 1, 2, 3",
            {**window, "user": user_id},
        ).fetchall():
            component, points = _like_points(w, likeable_type, is_like)
            change.add(author, component, -points * n, monthly=-points * n_monthly)
        for author, vote_type, n, n_monthly in conn.execute(
            "SELECT author_id, vote_type, COUNT(*),"
            " COUNT(CASE WHEN created_at >= :start AND created_at < :end THEN 1 END)"
            " FROM review_votes WHERE user_id = :user AND author_id IS NOT NULL GROUP BY 1, 2",
            {**window, "user": user_id},
        ).fetchall():
            points = _vote_points(w, vote_type)
            change.add(author, REVIEW_VOTES, -points * n, monthly=-points * n_monthly)
        conn.execute("DELETE FROM users WHERE id = ?", (user_id,))  # triggers cascade
        return True
    try:
        conn.execute(event.kind.upsert, event.row)
    except sqlite3.IntegrityError:
        other = conn.execute("SELECT id FROM users WHERE username = ?", (event.row[1],)).fetchone()
        raise DataError(f"field username: value {event.row[1]!r} already belongs to user "
                        f"{other[0] if other else '?'}; usernames are unique") from None
    if conn.execute("SELECT 1 FROM user_scores WHERE user_id = ?", (user_id,)).fetchone():
        conn.execute("UPDATE user_scores SET excluded = ? WHERE user_id = ?",
                     (int(scoring.is_excluded(event.row[1], event.row[4])), user_id))
    else:
        store_user_score(conn, scoring, user_id)
    return True


def _write_change(conn: sqlite3.Connection, change: _Change) -> None:
    now = now_text()
    conn.executemany(sql.ADD_TO_SCORE, [
        {"user_id": user_id, "post_likes": d[0], "review_votes": d[1],
         "comment_likes": d[2], "creation": d[3], "monthly": d[4], "now": now}
        for user_id, d in change.users.items() if any(d)
    ])


def apply_event(conn: sqlite3.Connection, scoring: Scoring, event: Event) -> str | None:
    """Store one event and its change in points (caller holds the transaction).

    Returns a note for the user when the event changed nothing, else None.
    """
    if event.event_id is not None:
        seen = conn.execute(
            "INSERT INTO seen_events (event_id, seen_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (event.event_id, now_text()),
        )
        if seen.rowcount == 0:
            return f"skipped event_id {event.event_id!r}: it was applied before"
    as_of = cached_monthly_date(conn)
    change = _Change(scoring.weights, window(as_of) if as_of else None)
    prefix = event.kind.event
    if prefix == "user":
        changed = _apply_user(conn, scoring, change, event)
    elif prefix == "like":
        changed = _apply_like(conn, change, event)
    elif prefix == "review_vote":
        changed = _apply_vote(conn, change, event)
    else:
        changed = _apply_item(conn, change, event)
    _write_change(conn, change)
    if not changed:
        return f"{event.name}: no {prefix} with id {event.row[0]} is stored; nothing changed"
    return None


def forget_old_events(conn: sqlite3.Connection, retention_days: int) -> None:
    cutoff = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(days=retention_days)
    conn.execute("DELETE FROM seen_events WHERE seen_at < ?", (cutoff.isoformat(timespec="seconds"),))


class StreamError(DataError):
    """A bad line in a stream; every line before it was committed."""

    def __init__(self, line: int, reason: str, applied: int):
        super().__init__(
            f"stdin line {line}: {reason}; the {applied} event(s) before it were applied, "
            f"fix the line and resume from line {line} (e.g. `tail -n +{line} FILE | scorekeeper hook -`)"
        )
        self.line = line
        self.reason = reason
        self.applied = applied


@contextmanager
def _telling_what_went_in(database: Database, outcome: Outcome, line: int) -> Iterator[None]:
    """A batch that fails as a whole (busy, disk full...) says which lines went in before it."""
    applied, skipped = outcome.applied, outcome.skipped_replays
    try:
        yield
    except (ScorekeeperError, sqlite3.Error) as exc:
        outcome.applied, outcome.skipped_replays = applied, skipped
        error = translate(exc, database.path) if isinstance(exc, sqlite3.Error) else exc
        if isinstance(error, sqlite3.Error):
            raise  # not the user's to fix: a bug, shown as it is
        raise type(error)(f"{error}; the {applied} event(s) before line {line} were applied, "
                          f"none from it on: resume from line {line}") from exc


def apply_stream(database: Database, scoring: Scoring, records: Iterable[tuple[int, Any]],
                 retention_days: int, note: Callable[[str], None],
                 batch_size: int = 1000,
                 on_batch: Callable[[sqlite3.Connection, int], None] | None = None) -> Outcome:
    """Apply ``(line number, parsed JSON or exception)`` pairs in batches of savepoints.

    Stops at the first bad line after committing every line before it.
    ``on_batch(conn, line)`` runs inside each batch's transaction, after its events,
    with the number of the last line applied so far (0 for none), so that a caller
    can record its progress atomically with the events.
    """
    outcome = Outcome()
    iterator: Iterator[tuple[int, Any]] = iter(records)
    warned: set[str] = set()

    def warn_once(text: str) -> None:
        if text not in warned:
            warned.add(text)
            note(text)

    first = True
    last_line = 0
    while True:
        batch = []
        for item in iterator:
            batch.append(item)
            if len(batch) >= batch_size:
                break
        if not batch:
            return outcome
        with _telling_what_went_in(database, outcome, batch[0][0]), \
                database.transaction() as conn:
            ensure_same_scoring(conn, scoring)
            if first:
                forget_old_events(conn, retention_days)
                first = False
            failure = None
            for line, record in batch:
                try:
                    if isinstance(record, Exception):
                        raise DataError(f"not valid JSON ({record})")
                    event = parse_event(record, warn_once)
                    conn.execute("SAVEPOINT event")
                    try:
                        message = apply_event(conn, scoring, event)
                    except BaseException:
                        conn.execute("ROLLBACK TO event")
                        raise
                    finally:
                        conn.execute("RELEASE event")
                except DataError as exc:
                    failure = StreamError(line, str(exc), outcome.applied)
                    break
                if message and message.startswith("skipped event_id"):
                    outcome.skipped_replays += 1
                if message:
                    note(f"line {line}: {message}")
                outcome.applied += 1
                last_line = line
            if on_batch:
                on_batch(conn, last_line)
        if failure:
            raise failure


def apply_one(database: Database, scoring: Scoring, record: dict[str, Any],
              retention_days: int, note: Callable[[str], None]) -> None:
    """Apply a single event in its own transaction."""
    event = parse_event(record, note)
    with database.transaction() as conn:
        ensure_same_scoring(conn, scoring)
        forget_old_events(conn, retention_days)
        message = apply_event(conn, scoring, event)
    if message:
        note(message)


def run_hook_command(database: Database, scoring: Scoring, event: str, fields: dict[str, str],
                     json_text: str | None, retention_days: int, stdin: Iterable[str],
                     note: Callable[[str], None]) -> None:
    """`scorekeeper hook`: one event from options or --json, or a stream (EVENT ``-``)."""
    if event == "-":
        outcome = apply_stream(database, scoring, read_ndjson(stdin), retention_days, note)
        note(f"applied {outcome.applied - outcome.skipped_replays:,} events"
             + (f", skipped {outcome.skipped_replays:,} replays" if outcome.skipped_replays else ""))
        return
    if json_text is not None:
        try:
            record = json.loads(json_text)
        except json.JSONDecodeError as exc:
            raise UsageError(f"--json is not valid JSON ({exc})") from None
        if not isinstance(record, dict):
            raise UsageError("--json must be one JSON object")
        if record.setdefault("event", event) != event:
            raise UsageError(f"--json says event {record['event']!r} but the command says {event!r}")
        if fields:
            raise UsageError(f"give the event either as --json or as options, not both "
                             f"(--json with --{next(iter(fields)).replace('_', '-')})")
    else:
        record = {"event": event, **fields}
    apply_one(database, scoring, record, retention_days, note)


def read_ndjson(lines: Iterable[str]) -> Iterator[tuple[int, Any]]:
    """``(line number, parsed JSON or the decoding error)`` for each non-blank line."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, exc
