"""SPEC.md's invariants 1 to 4, with hypothesis and the reference scorer as the oracle.

Hook sequences go through the library (`hooks.apply_one` / `apply_stream`) because a
CLI round-trip per event would make each example slow; files go through the CLI.
"""

from __future__ import annotations

import sqlite3
import tempfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

import reference as ref
from conftest import HEADERS, run, write_kind
from scorekeeper import hooks, ranking
from scorekeeper.db import Database
from scorekeeper.scoring import Scoring, recalc_scores

AS_OF = date(2026, 11, 30)
OTHER_DAY = date(2026, 12, 1)
DEFAULT_SCORING = Scoring(dict(ref.DEFAULT_WEIGHTS), tuple(sorted(ref.DEFAULT_EXCLUDED)))
FRACTIONAL_WEIGHTS = {
    "post_like": 100, "post_dislike": -500, "review_upvote": 200, "review_downvote": -1,
    "comment_like": 300, "comment_dislike": -500, "post_created": 1,
    "review_created": 300, "comment_created": 100,
}
COMPONENT_COLUMNS = ("total_score", "post_likes_score", "review_votes_score",
                     "comment_likes_score", "content_creation_score")

# Times around the window of AS_OF (2026-11-01T00:00Z up to 2026-12-01T00:00Z).
TIMES = st.sampled_from([
    "2026-10-31T23:59:59Z", "2026-11-01T00:00:00Z", "2026-11-01", "2026-11-15 12:00:00",
    "2026-11-30T23:59:59.999Z", "2026-12-01T00:00:00Z", "2026-10-31T23:30:00-05:00",
    "2026-11-01T01:00:00+02:00", "2025-01-01T00:00:00Z",
])
EVENT_IDS = st.none() | st.sampled_from(["e1", "e2", "e3", "e4"])
USER_IDS = st.sampled_from([1, 2, 3, 4, 5])
ITEM_IDS = {"post": [10, 11], "review": [20, 21], "comment": [30, 31]}


def _with_event_id(event: dict, event_id: str | None) -> dict:
    if event_id is not None:
        event["event_id"] = event_id
    return event


@st.composite
def user_events(draw) -> dict:
    user_id = draw(st.sampled_from([1, 2, 3, 4]))
    action = draw(st.sampled_from(["created", "updated", "deleted"]))
    if action == "deleted":
        return _with_event_id({"event": "user.deleted", "id": draw(USER_IDS)}, draw(EVENT_IDS))
    names = [f"u{user_id}", f"renamed{user_id}"] + (["admin"] if user_id == 3 else [])
    event = {"event": f"user.{action}", "id": user_id, "username": draw(st.sampled_from(names)),
             "name": draw(st.sampled_from(["N", "Zoë 李 🚀", None])), "created_at": "2026-01-01"}
    is_bot = draw(st.sampled_from([None, False, True, "no"]))
    if is_bot is not None:
        event["is_bot"] = is_bot
    return _with_event_id(event, draw(EVENT_IDS))


@st.composite
def item_events(draw) -> dict:
    kind = draw(st.sampled_from(sorted(ITEM_IDS)))
    item_id = draw(st.sampled_from(ITEM_IDS[kind]))
    if draw(st.booleans()):
        event = {"event": f"{kind}.deleted", "id": item_id}
    else:
        event = {"event": f"{kind}.created", "id": item_id, "user_id": draw(USER_IDS),
                 "created_at": draw(TIMES)}
    return _with_event_id(event, draw(EVENT_IDS))


@st.composite
def like_events(draw) -> dict:
    like_id = draw(st.sampled_from([1, 2, 3, 4]))
    action = draw(st.sampled_from(["created", "updated", "deleted"]))
    if action == "deleted":
        return _with_event_id({"event": "like.deleted", "id": like_id}, draw(EVENT_IDS))
    event = {
        "event": f"like.{action}", "id": like_id, "user_id": draw(st.none() | USER_IDS),
        "likeable_type": draw(st.sampled_from(["post", "comment", "App\\Models\\Post", "COMMENT"])),
        "likeable_id": draw(st.sampled_from([10, 11, 30, 31, 99])),
        "is_like": draw(st.sampled_from([True, False, "yes", "0"])),
        "created_at": draw(TIMES),
    }
    return _with_event_id(event, draw(EVENT_IDS))


@st.composite
def vote_events(draw) -> dict:
    vote_id = draw(st.sampled_from([1, 2, 3]))
    action = draw(st.sampled_from(["created", "updated", "deleted"]))
    if action == "deleted":
        return _with_event_id({"event": "review_vote.deleted", "id": vote_id}, draw(EVENT_IDS))
    event = {
        "event": f"review_vote.{action}", "id": vote_id, "user_id": draw(st.none() | USER_IDS),
        "review_id": draw(st.sampled_from([20, 21, 22])),
        "vote_type": draw(st.sampled_from(["up", "down", "UP"])),
        "created_at": draw(TIMES),
    }
    return _with_event_id(event, draw(EVENT_IDS))


# A populated site to start from (when drawn), so that deletes and flips meet real rows.
BASE = [
    *({"event": "user.created", "id": i, "username": f"u{i}", "name": None,
       "created_at": "2026-01-01"}
      for i in (1, 2, 3, 4)),
    {"event": "post.created", "id": 10, "user_id": 1, "created_at": "2026-11-01T00:00:00Z"},
    {"event": "post.created", "id": 11, "user_id": 2, "created_at": "2026-10-31T23:59:59Z"},
    {"event": "review.created", "id": 20, "user_id": 3, "created_at": "2026-11-30"},
    {"event": "review.created", "id": 21, "user_id": 1, "created_at": "2026-12-01"},
    {"event": "comment.created", "id": 30, "user_id": 2, "created_at": "2026-11-15"},
    {"event": "comment.created", "id": 31, "user_id": 4, "created_at": "2026-11-15"},
    {"event": "like.created", "id": 1, "user_id": 2, "likeable_type": "post", "likeable_id": 10,
     "is_like": True, "created_at": "2026-11-05"},
    {"event": "like.created", "id": 2, "user_id": 1, "likeable_type": "comment",
     "likeable_id": 30, "is_like": False, "created_at": "2026-11-05"},
    {"event": "like.created", "id": 3, "user_id": 4, "likeable_type": "post", "likeable_id": 11,
     "is_like": True, "created_at": "2026-10-01"},
    {"event": "review_vote.created", "id": 1, "user_id": 1, "review_id": 20, "vote_type": "up",
     "created_at": "2026-11-05"},
    {"event": "review_vote.created", "id": 2, "user_id": 4, "review_id": 21,
     "vote_type": "down", "created_at": "2026-11-05"},
]
# Where a recalc (which caches the monthly increase of AS_OF) falls in a sequence.
RECALC_AT = st.none() | st.integers(0, 45)
EVENTS = st.tuples(
    st.booleans(),
    st.lists(st.one_of(user_events(), item_events(), like_events(), vote_events()), max_size=30),
).map(lambda drawn: (BASE if drawn[0] else []) + drawn[1])


def _stored_scores(conn: sqlite3.Connection) -> dict[int, dict[str, int]]:
    rows = conn.execute(f"SELECT user_id, excluded, {', '.join(COMPONENT_COLUMNS)} "
                        "FROM user_scores").fetchall()
    return {row[0]: {"excluded": row[1], **dict(zip(COMPONENT_COLUMNS, row[2:]))} for row in rows}


def _expected_scores(state: ref.State, weights: dict[str, int],
                     excluded: tuple[str, ...]) -> dict[int, dict[str, int]]:
    return {
        user_id: {"excluded": int(state.excluded(state.tables["users"][user_id], excluded)),
                  **parts}
        for user_id, parts in state.components(weights).items()
    }


def _listing(rows) -> list[tuple]:
    return [tuple(row) for row in rows]


def _reference_listing(rows: list[ref.Row]) -> list[tuple]:
    return [tuple(getattr(row, name) for name in ref.COLUMNS) for row in rows]


def _check_against_reference(database: Database, scoring: Scoring, state: ref.State) -> None:
    """No drift, stored scores = reference, export and risers = reference, both for
    AS_OF (whose monthly increase a recalc may have cached) and for another day."""
    check = recalc_scores(database, scoring, check=True)
    assert (check.changed, check.drift, check.was_stale, check.adopted) == (0, 0, False, False)
    excluded = scoring.excluded_usernames
    with database.snapshot() as conn:
        assert _stored_scores(conn) == _expected_scores(state, scoring.weights, excluded)
        for day in (AS_OF, OTHER_DAY):
            expected = _reference_listing(state.standings(day, scoring.weights, excluded))
            assert _listing(ranking.export(conn, scoring, day)) == expected, day
            assert _listing(ranking.leaderboard(conn, scoring, day, 3)) == expected[:3], day
            assert _listing(ranking.risers(conn, scoring, day, 1000)) == _reference_listing(
                state.risers(day, scoring.weights, excluded)), day
            for row in expected:
                assert tuple(ranking.show(conn, scoring, day, row[1])) == row, day


_TEMPLATE: dict[str, bytes] = {}


def _fresh_database(folder: Path) -> Database:
    """A new database with the schema, copied from one made once (migrations take time)."""
    if "db" not in _TEMPLATE:
        with tempfile.TemporaryDirectory() as scratch:
            made = Database(Path(scratch) / "template.db", 5, write=True)
            made.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            made.conn.execute("PRAGMA journal_mode = DELETE")
            made.close()
            _TEMPLATE["db"] = (Path(scratch) / "template.db").read_bytes()
    (folder / "hooks.db").write_bytes(_TEMPLATE["db"])
    return Database(folder / "hooks.db", 5, write=True)


def _apply_all(events: list[dict], scoring: Scoring, *, stream: bool,
               recalc_at: int | None = None) -> None:
    """Apply the events (after `recalc_at` of them, a recalc caches the monthly increase
    of AS_OF, which the later events must keep right), then check everything."""
    with tempfile.TemporaryDirectory() as folder:
        database = _fresh_database(Path(folder))
        try:
            state = ref.State()
            parts = [events] if recalc_at is None else [events[:recalc_at], events[recalc_at:]]
            for number, part in enumerate(parts):
                if number:
                    recalc_scores(database, scoring, monthly_as_of=AS_OF)
                if stream:
                    hooks.apply_stream(database, scoring, enumerate(part, 1), 30,
                                       lambda _note: None, batch_size=7)
                else:
                    for event in part:
                        hooks.apply_one(database, scoring, dict(event), 30, lambda _note: None)
            for event in events:
                state.apply_event(event)
            _check_against_reference(database, scoring, state)

            # Invariant 2: recalc, then recalc again: the second changes nothing.
            first = recalc_scores(database, scoring, monthly_as_of=AS_OF)
            assert first.drift == 0
            with database.snapshot() as conn:
                before = _stored_scores(conn)
            second = recalc_scores(database, scoring, monthly_as_of=AS_OF)
            assert (second.changed, second.drift) == (0, 0)
            with database.snapshot() as conn:
                assert _stored_scores(conn) == before
            _check_against_reference(database, scoring, state)
        finally:
            database.close()


# Sequences that random draws reach rarely: an item or user deleted and then created
# again with the same id (what hung on it must not come back), an item changing author.
RECREATED = [
    BASE + [{"event": "review.deleted", "id": 20},
            {"event": "review.created", "id": 20, "user_id": 3, "created_at": "2026-11-30"}],
    BASE + [{"event": "post.deleted", "id": 10},
            {"event": "post.created", "id": 10, "user_id": 1, "created_at": "2026-11-30"}],
    BASE + [{"event": "comment.deleted", "id": 30},
            {"event": "comment.created", "id": 30, "user_id": 2, "created_at": "2026-11-30"}],
    BASE + [{"event": "user.deleted", "id": 2}, BASE[1],
            {"event": "post.created", "id": 11, "user_id": 2, "created_at": "2026-11-30"}],
    BASE + [{"event": "post.created", "id": 10, "user_id": 4, "created_at": "2026-11-30"},
            {"event": "review.created", "id": 20, "user_id": 2, "created_at": "2026-11-30"}],
]


@settings(max_examples=120, deadline=None)
@given(events=EVENTS, recalc_at=RECALC_AT)
@example(events=RECREATED[0], recalc_at=None)
@example(events=RECREATED[1], recalc_at=len(BASE))
@example(events=RECREATED[2], recalc_at=None)
@example(events=RECREATED[3], recalc_at=len(BASE))
@example(events=RECREATED[4], recalc_at=len(BASE))
def test_any_hook_sequence_leaves_no_drift_and_matches_the_reference(events, recalc_at):
    """Invariant 1 (and 2): creates, flips, deletes, replays, items before authors."""
    _apply_all(events, DEFAULT_SCORING, stream=False, recalc_at=recalc_at)


@settings(max_examples=40, deadline=None)
@given(events=EVENTS, recalc_at=RECALC_AT)
def test_a_hook_stream_in_savepoints_matches_the_reference(events, recalc_at):
    """Invariant 1 through `hook -`'s path: batches of savepoints, replays inside a batch."""
    _apply_all(events, DEFAULT_SCORING, stream=True, recalc_at=recalc_at)


@settings(max_examples=40, deadline=None)
@given(events=EVENTS, recalc_at=RECALC_AT)
def test_hook_sequences_are_exact_with_fractional_weights(events, recalc_at):
    """Weights of 0.1, 0.001, -0.5 and -0.001: the incremental path stays exact."""
    scoring = Scoring(dict(FRACTIONAL_WEIGHTS), ("admin",))
    _apply_all(events, scoring, stream=False, recalc_at=recalc_at)


# -- files: invariants 3 and 4 through the CLI ---------------------------------

EPOCH = datetime(2026, 10, 20, tzinfo=timezone.utc)


@st.composite
def timestamps(draw) -> str:
    """A moment near November 2026 in one of SPEC.md's text forms."""
    seconds = draw(st.integers(0, 50 * 86400))
    moment = EPOCH + timedelta(seconds=seconds)
    form = draw(st.sampled_from(["Z", "offset", "space", "fraction", "date", "naive"]))
    if form == "Z":
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if form == "offset":
        hours = draw(st.integers(-11, 14))
        local = moment.astimezone(timezone(timedelta(hours=hours)))
        return local.isoformat()
    if form == "space":
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    if form == "fraction":
        return moment.strftime("%Y-%m-%dT%H:%M:%S") + ".250+00:00"
    if form == "date":
        return moment.strftime("%Y-%m-%d")
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


@st.composite
def datasets(draw) -> dict[str, list[dict]]:
    """Six kinds of rows with unique ids; authors and targets may be unknown."""
    user_ids = draw(st.lists(st.integers(1, 8), unique=True, max_size=7))
    users = []
    for user_id in user_ids:
        username = "admin" if user_id == 3 and draw(st.booleans()) else f"u{user_id}"
        users.append({"id": user_id, "username": username, "name": f"User {user_id}",
                      "created_at": "2026-01-01", "is_bot": draw(st.sampled_from(["", "0", "1", "no"]))})
    author = st.integers(1, 9)
    tables: dict[str, list[dict]] = {"users": users}
    for kind, ids in (("posts", range(100, 108)), ("reviews", range(200, 206)),
                      ("comments", range(300, 306))):
        chosen = draw(st.lists(st.sampled_from(list(ids)), unique=True, max_size=len(ids)))
        tables[kind] = [{"id": i, "user_id": draw(author), "created_at": draw(timestamps())}
                        for i in chosen]
    like_ids = draw(st.lists(st.integers(1, 40), unique=True, max_size=25))
    tables["likes"] = [{
        "id": i, "user_id": draw(st.sampled_from(["", 1, 2, 5, 9])),
        "likeable_type": draw(st.sampled_from(["post", "comment", "Post", "App\\Models\\Comment"])),
        "likeable_id": draw(st.sampled_from([100, 101, 102, 107, 300, 301, 305, 999])),
        "is_like": draw(st.sampled_from(["1", "0", "true", "FALSE", "yes", "no"])),
        "created_at": draw(timestamps()),
    } for i in like_ids]
    vote_ids = draw(st.lists(st.integers(1, 30), unique=True, max_size=15))
    tables["review_votes"] = [{
        "id": i, "user_id": draw(st.sampled_from(["", 1, 4, 9])),
        "review_id": draw(st.sampled_from([200, 201, 205, 999])),
        "vote_type": draw(st.sampled_from(["up", "down", "Down"])),
        "created_at": draw(timestamps()),
    } for i in vote_ids]
    return tables


def _write(folder: Path, tables: dict[str, list[dict]], order: list[str]) -> list[Path]:
    return [write_kind(folder, kind, [[row[c] for c in HEADERS[kind]] for row in tables[kind]])
            for kind in order]


def _db_dump(db: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(db)
    try:
        dump = {kind: conn.execute(f"SELECT * FROM {kind} ORDER BY id").fetchall()
                for kind in ref.KINDS}
        dump["user_scores"] = conn.execute(
            f"SELECT user_id, excluded, {', '.join(COMPONENT_COLUMNS)} FROM user_scores "
            "ORDER BY user_id").fetchall()
        return dump
    finally:
        conn.close()


@settings(max_examples=25, deadline=None)
@given(tables=datasets(), order=st.permutations(list(ref.KINDS)),
       as_of=st.sampled_from([date(2026, 11, 30), date(2026, 11, 15), date(2026, 12, 9)]),
       limit=st.integers(0, 9))
def test_outputs_equal_the_reference_and_a_second_import_changes_nothing(
        tables, order, as_of, limit):
    """Invariants 3 and 4 through the CLI, files in any order (likes before posts...)."""
    state = ref.State()
    for kind in ref.KINDS:
        state.load(kind, tables[kind])
    expected = state.standings(as_of)

    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "files.db"
        files = _write(Path(folder), tables, order)
        first = run("import", "--db", db, *files)
        assert (first.exit_code, first.stdout) == (0, ""), first.stderr

        exported = run("export", "--db", db, "--as-of", as_of.isoformat())
        assert exported.exit_code == 0 and exported.stderr == ""
        assert exported.stdout == ref.to_csv(expected)
        top = run("leaderboard", "--db", db, "--as-of", as_of.isoformat(),
                  "--limit", str(limit), "--format", "csv")
        assert top.stdout == ref.to_csv(expected[:limit])
        risers = run("risers", "--db", db, "--as-of", as_of.isoformat(), "--format", "json")
        assert ref.parse_json_listing(risers.stdout) == [row.json() for row in state.risers(as_of)]

        stored = _db_dump(db)
        again = run("import", "--db", db, *files)
        assert again.exit_code == 0, again.stderr
        for kind in order:
            assert f"{kind}.csv: 0 added, 0 changed" in again.stderr
        assert _db_dump(db) == stored
        assert run("export", "--db", db, "--as-of", as_of.isoformat()).stdout == exported.stdout
        assert run("recalc", "--db", db, "--check").exit_code == 0
