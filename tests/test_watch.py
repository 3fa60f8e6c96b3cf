"""The watch library on a small database: which files it takes, when, and only once."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path

import pytest

from conftest import EXAMPLE, EXAMPLE_EXPORT, HEADERS, run, write_csv, write_kind
from scorekeeper import hooks
from scorekeeper.db import Database
from scorekeeper.errors import ConfigError, UsageError
from scorekeeper.scoring import Scoring
from scorekeeper.watch import Watcher, file_role

SCORING = Scoring(
    {"post_like": 3000, "post_dislike": -1000, "review_upvote": 2000,
     "review_downvote": -1000, "comment_like": 1000, "comment_dislike": -500,
     "post_created": 200, "review_created": 300, "comment_created": 100},
    ("admin", "posts_bot", "reddit_bot"),
)


def like(like_id: int, is_like: bool = True, event: str = "like.created", **extra) -> dict:
    return {"event": event, "id": like_id, "user_id": 2, "likeable_type": "post",
            "likeable_id": 10, "is_like": is_like, "created_at": "2026-11-05T00:00:00Z",
            **extra}


def write_batch(path: Path, events: list[dict], mode: str = "w") -> Path:
    with open(path, mode, encoding="utf-8") as handle:
        for event in events:
            handle.write(json.dumps(event) + "\n")
    return path


def age(path: Path, seconds: float = 60) -> Path:
    """Date a file back, as one renamed into the folder long after it was written."""
    past = time.time() - seconds
    os.utime(path, (past, past))
    return path


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


@pytest.fixture
def database(tmp_path: Path):
    with Database(tmp_path / "scorekeeper.db", 5, write=True) as db:
        yield db


def watch_once(database: Database, inbox: Path, **options) -> tuple[Watcher, list[str]]:
    messages: list[str] = []
    watcher = Watcher(database, SCORING, inbox, settle=options.pop("settle", 0.2),
                      note=messages.append, warn=lambda m: messages.append("Warning: " + m),
                      error=lambda m: messages.append("Error: " + m), **options)
    watcher.run(once=True)
    return watcher, messages


def ledger(database: Database) -> dict[str, tuple]:
    rows = database.conn.execute(
        "SELECT path, size, status, reason, lines_done FROM watch_ledger").fetchall()
    return {Path(path).name: tuple(rest) for path, *rest in rows}


def export(db_path: Path) -> str:
    result = run("export", "--as-of", "2026-11-30", "--db", db_path)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def count(database: Database, table: str) -> int:
    return database.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


@pytest.mark.parametrize(("name", "role"), [
    ("likes.csv", "activity"),
    ("review_votes_2.jsonl", "activity"),
    ("users.json", "activity"),
    ("events.ndjson", "events"),
    ("events-2026-11-30T10.ndjson", "events"),
    ("events_1.jsonl", "events"),
    ("events.csv", "activity"),  # not a kind: it fails with a reason, it is not ignored
    (".likes.csv", None),
    ("likes.csv.tmp", None),
    ("events.ndjson.part", None),
    ("notes.txt", "other"),
])
def test_file_roles(name: str, role: str | None) -> None:
    assert file_role(name) == role


def test_takes_the_files_there_in_name_order_and_recalculates(database, inbox) -> None:
    for kind, rows in EXAMPLE.items():
        age(write_kind(inbox, kind, rows))
    watcher, messages = watch_once(database, inbox)

    assert (watcher.summary.done, watcher.summary.failed) == (6, 0)
    imported = [m.split(" from ")[1].split(":")[0] for m in messages if m.startswith("imported")]
    assert imported == sorted(imported)
    assert messages[-1].startswith("updated the scores of 4 of 4 users")
    assert export(database.path) == EXAMPLE_EXPORT
    assert {status for _, status, *_ in ledger(database).values()} == {"done"}


def test_a_restart_takes_nothing_twice_and_a_changed_file_again(database, inbox) -> None:
    age(write_kind(inbox, "users", EXAMPLE["users"]))
    age(write_batch(inbox / "events.ndjson", [like(1), like(1, False, "like.updated")]))
    watch_once(database, inbox)

    watcher, messages = watch_once(database, inbox)
    assert (watcher.summary.done, watcher.summary.skipped) == (0, 2)
    assert "skipped" in messages[0] and "taken before" in messages[0]

    age(write_kind(inbox, "users", EXAMPLE["users"][:2]))  # same name, other content
    watcher, messages = watch_once(database, inbox)
    assert (watcher.summary.done, watcher.summary.skipped) == (1, 1)
    assert count(database, "users") == 4  # an import adds and updates, never removes


def test_a_bad_file_is_recorded_and_moved_and_the_rest_go_on(database, inbox, tmp_path) -> None:
    age(write_kind(inbox, "users", EXAMPLE["users"]))
    age(write_kind(inbox, "posts", [(10, 1, "yesterday")]))
    age(write_csv(inbox / "zz.csv", HEADERS["posts"], [(1, 1, "2026-11-01")]))
    age(write_kind(inbox, "users", [(9, "dee", "Dee", "2026-01-01", None)], name="users-2.csv"))
    watcher, messages = watch_once(database, inbox, move_done=tmp_path / "done",
                                   move_failed=tmp_path / "failed")

    assert (watcher.summary.done, watcher.summary.failed) == (2, 2)
    assert sorted(p.name for p in (tmp_path / "failed").iterdir()) == ["posts.csv", "zz.csv"]
    assert sorted(p.name for p in (tmp_path / "done").iterdir()) == ["users-2.csv", "users.csv"]
    assert [p.name for p in inbox.iterdir()] == [".scorekeeper-watch.lock"]
    entries = ledger(database)
    assert entries["posts.csv"][1] == "failed"
    assert "line 2: column created_at: value 'yesterday'" in entries["posts.csv"][2]
    assert "cannot tell the kind" in entries["zz.csv"][2]
    errors = [m for m in messages if m.startswith("Error: ")]
    assert len(errors) == 2 and all("(moving it to " in m for m in errors)
    assert count(database, "posts") == 0 and count(database, "users") == 5

    watcher, _ = watch_once(database, inbox)  # nothing left behind to take again
    assert watcher.summary == type(watcher.summary)()


def test_a_failed_file_left_in_place_is_not_retried_until_it_changes(database, inbox) -> None:
    bad = age(write_kind(inbox, "posts", [(10, 1, "yesterday")]))
    watch_once(database, inbox)
    watcher, messages = watch_once(database, inbox)
    assert watcher.summary.skipped == 1 and "it failed before" in messages[0]

    age(write_kind(inbox, "posts", [(10, 1, "2026-10-15")]))
    watcher, _ = watch_once(database, inbox)
    assert watcher.summary.done == 1 and ledger(database)[bad.name][1] == "done"


def test_an_event_batch_goes_through_hook_with_replays_skipped(database, inbox) -> None:
    for kind in ("users", "posts"):
        age(write_kind(inbox, kind, EXAMPLE[kind]))
    events = [like(1, event_id="a"), like(1, event_id="a"), like(2, False, event_id="b")]
    age(write_batch(inbox / "events-1.ndjson", events))
    watcher, messages = watch_once(database, inbox)

    assert "inbox/events-1.ndjson: line 2: skipped event_id 'a'" in messages[0]
    assert messages[1].startswith("applied 2 events from") and "skipped 1 replays" in messages[1]
    age(write_batch(inbox / "events-2.ndjson", [like(1, False, "like.updated", event_id="a")]))
    watch_once(database, inbox)
    assert database.conn.execute("SELECT is_like FROM likes WHERE id = 1").fetchone() == (1,)
    assert run("recalc", "--check", "--db", database.path).exit_code == 0


def test_a_batch_with_a_bad_line_applies_nothing(database, inbox) -> None:
    age(write_batch(inbox / "events.ndjson", [like(1), like(2), {"event": "like.created"}]))
    watcher, messages = watch_once(database, inbox)

    assert watcher.summary.failed == 1 and count(database, "likes") == 0
    assert messages[0].startswith("Error: ")
    assert "events.ndjson line 3: field id is missing" in messages[0]
    assert "no event of the file was applied" in messages[0]


def test_a_batch_killed_in_the_middle_resumes_after_its_last_commit(database, inbox, monkeypatch) -> None:
    # 2,500 events, committed 1,000 at a time; the watcher dies at line 1,500.
    events = [like(1), like(1, False, "like.updated")]
    events += [like(100 + n) for n in range(2498)]
    age(write_batch(inbox / "events.ndjson", events))
    applied = hooks.apply_event
    calls = 0

    def dying(conn, scoring, event):
        nonlocal calls
        calls += 1
        if calls == 1500:
            raise KeyboardInterrupt  # as SIGKILL would, mid-transaction
        return applied(conn, scoring, event)

    monkeypatch.setattr(hooks, "apply_event", dying)
    with pytest.raises(KeyboardInterrupt):
        watch_once(database, inbox)
    monkeypatch.setattr(hooks, "apply_event", applied)
    assert ledger(database)["events.ndjson"][1:] == ("partial", None, 1000)
    assert count(database, "likes") == 999

    # Meanwhile a hook flips like 1 back; replaying line 2 would undo that.
    hooks.apply_one(database, SCORING, like(1, True, "like.updated"), 30, print)
    watcher, messages = watch_once(database, inbox)
    assert "applied 1,500 events from" in messages[0] and "after line 1000" in messages[0]
    assert ledger(database)["events.ndjson"][1:] == ("done", None, 2500)
    assert count(database, "likes") == 2499
    assert database.conn.execute("SELECT is_like FROM likes WHERE id = 1").fetchone() == (1,)


def test_a_batch_that_grew_goes_on_from_where_it_ended(database, inbox) -> None:
    batch = age(write_batch(inbox / "events.ndjson", [like(1), like(2)]))
    watch_once(database, inbox)
    database.conn.execute("DELETE FROM likes WHERE id = 1")  # a replay would bring it back
    age(write_batch(batch, [like(3)], mode="a"))
    watcher, messages = watch_once(database, inbox)

    assert "applied 1 events from" in messages[0] and "after line 2" in messages[0]
    assert sorted(r[0] for r in database.conn.execute("SELECT id FROM likes")) == [2, 3]


def test_a_file_still_changing_waits_and_an_empty_one_is_left_alone(database, inbox) -> None:
    fresh = write_kind(inbox, "users", EXAMPLE["users"])  # written just now
    empty = inbox / "posts.csv"
    empty.touch()
    age(empty)
    started = time.monotonic()
    watcher, messages = watch_once(database, inbox, settle=0.5)

    assert time.monotonic() - started >= 0.45
    assert watcher.summary.done == 1 and fresh.name in ledger(database)
    assert any("left" in m and "empty" in m for m in messages)


def test_a_name_taken_in_the_done_folder_gets_a_number(database, inbox, tmp_path) -> None:
    done = tmp_path / "done"
    done.mkdir()
    (done / "users.csv").write_text("older\n")
    age(write_kind(inbox, "users", EXAMPLE["users"]))
    watch_once(database, inbox, move_done=done)
    assert sorted(p.name for p in done.iterdir()) == ["users.1.csv", "users.csv"]


def test_the_watched_folder_is_not_a_move_target(database, inbox) -> None:
    with pytest.raises(UsageError, match="--move-done .* is the watched folder itself"):
        Watcher(database, SCORING, inbox, move_done=inbox / ".." / inbox.name)


def test_settings_other_than_the_stored_ones_are_refused(database, inbox) -> None:
    age(write_kind(inbox, "users", EXAMPLE["users"]))
    watch_once(database, inbox)
    other = Scoring({**SCORING.weights, "post_like": 5000}, SCORING.excluded_usernames)
    with pytest.raises(ConfigError, match="run `scorekeeper recalc`"):
        Watcher(database, other, inbox).run(once=True)


def test_the_ledger_is_a_numbered_migration(database) -> None:
    rows = database.conn.execute("SELECT version, name FROM schema_migrations").fetchall()
    assert (2, "watch_ledger") in rows
    with pytest.raises(sqlite3.IntegrityError):
        database.conn.execute("INSERT INTO watch_ledger VALUES ('p', 1, 'x', 'odd', NULL, NULL, 't')")
