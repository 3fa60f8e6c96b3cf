"""Atomic writes: an import, a recalc or a hook stream killed with SIGKILL.

Each operation is killed at several points: while another process sees it
hold the write lock (the progress marker: it is inside a transaction), after
extra delays from there, and for the stream once so many events are
committed. Afterwards the database must open and pass an integrity check;
each file must be stored whole or not at all, each recalculation written
whole or not at all, and a stream must have applied a prefix of its events,
each whole. Scores that a kill left behind the stored activity must be
flagged (reads warn, `recalc --check` exits 1) and `recalc` must mend them.
"""

from __future__ import annotations

import csv
import json
import random
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import pytest

import reference as ref
from conftest import ok, run, write_kind
from db_state import (
    clean_env,
    count,
    dump,
    integrity,
    query,
    scorekeeper_command,
    stored_scores,
)

pytestmark = pytest.mark.slow

USERS = 3000
POSTS = 4000
LIKES = 60_000


def _start(db: Path, *args: str, stdin=None) -> subprocess.Popen:
    return subprocess.Popen([*scorekeeper_command(), "--db", str(db), *args], stdin=stdin,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=clean_env())


def _writer_inside(db: Path, process: subprocess.Popen, timeout: float = 60) -> bool:
    """Wait until another connection holds the write lock; False if the process ended first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if db.exists():
            conn = sqlite3.connect(db, timeout=0, isolation_level=None)
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("ROLLBACK")
            except sqlite3.OperationalError as exc:
                if "locked" in str(exc) or "busy" in str(exc):
                    return True
                raise
            finally:
                conn.close()
        time.sleep(0.002)
    return False


def _inside_for(db: Path, *args: str) -> float:
    """How long a run stays busy once its first write lock is seen (to place kill points)."""
    process = _start(db, *args)
    assert _writer_inside(db, process)
    seen = time.monotonic()
    assert process.wait(timeout=120) == 0, process.stderr.read()
    process.stderr.close()
    return time.monotonic() - seen


FRACTIONS = (0.0, 0.05, 0.15, 0.3, 0.5, 0.7, 0.85)  # of that time: the kill points


def _kill(process: subprocess.Popen) -> bool:
    """SIGKILL; True if the process was still running (a real kill point)."""
    alive = process.poll() is None
    if alive:
        process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    process.stderr.close()
    return alive


def _healthy(db: Path) -> None:
    assert integrity(db) == "ok"
    assert query(db, "PRAGMA foreign_key_check") == []


def _mended(db: Path) -> None:
    """Before a recalc: the scores are right, or flagged; after it they are right."""
    check = run("--db", db, "recalc", "--check")
    if check.exit_code != 0:
        assert check.exit_code == 1, check.stderr
        warned = run("--db", db, "export")
        assert "Warning: scores are stale" in warned.stderr, warned.stderr
    ok("--db", db, "recalc")
    assert run("--db", db, "recalc", "--check").exit_code == 0


def _without_times(found: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    """A dump without what depends on the clock (calculated_at, meta, event times)."""
    found = dict(found)
    found["user_scores"] = sorted(row[:6] for row in found.get("user_scores", []))
    for volatile in ("meta", "seen_events", "schema_migrations", "watch_ledger"):
        found.pop(volatile, None)
    return found


# -- import ------------------------------------------------------------------------


def _files(folder: Path, users: int = USERS) -> list[Path]:
    rng = random.Random(7)
    return [
        write_kind(folder, "users", [(n, f"user{n}", None, "2026-01-01", None)
                                     for n in range(1, users + 1)]),
        write_kind(folder, "posts", [(n, rng.randint(1, USERS), "2026-11-02")
                                     for n in range(1, POSTS + 1)]),
        write_kind(folder, "likes", [(n, rng.randint(1, USERS), "post", rng.randint(1, POSTS),
                                      rng.random() < 0.8, "2026-11-10")
                                     for n in range(1, LIKES + 1)]),
    ]


def test_an_import_killed_anywhere_stores_whole_files_or_none(tmp_path: Path):
    files = _files(tmp_path)
    sizes = {"users": USERS, "posts": POSTS, "likes": LIKES}
    clean = tmp_path / "clean.db"
    ok("--db", clean, "init")
    busy = _inside_for(clean, "import", *map(str, files))
    expected = _without_times(dump(clean))

    kills, outcomes = 0, []
    # After the first write lock is seen: inside the users file, later files, the recalc.
    for point, extra in enumerate(busy * fraction for fraction in FRACTIONS):
        db = tmp_path / f"killed{point}.db"
        ok("--db", db, "init")
        process = _start(db, "import", *map(str, files))
        assert _writer_inside(db, process)
        time.sleep(extra)
        kills += _kill(process)

        _healthy(db)
        stored = {kind: count(db, kind) for kind in sizes}
        for kind, size in sizes.items():
            assert stored[kind] in (0, size), (extra, stored)
        outcomes.append("".join(kind[0] for kind in sizes if stored[kind]) or "-")
        # Files are taken in order, one transaction each.
        assert [stored[k] > 0 for k in sizes] == sorted((stored[k] > 0 for k in sizes), reverse=True)
        _mended(db)
        # Run again, it ends as a clean import would.
        ok("--db", db, "import", *files)
        assert _without_times(dump(db)) == expected
    print(f"\nimport: {kills} kills; files stored at each: {outcomes}")
    assert kills >= 5


# -- recalc ------------------------------------------------------------------------


def test_a_recalc_killed_anywhere_writes_all_scores_or_none(tmp_path: Path):
    files = _files(tmp_path, users=40_000)  # a score row each to write: a recalc that lasts
    source = tmp_path / "stale.db"
    ok("--db", source, "import", "--no-recalc", *files)
    before = _without_times(dump(source))
    done = tmp_path / "done.db"
    done.write_bytes(source.read_bytes())
    busy = _inside_for(done, "recalc")
    after = _without_times(dump(done))
    assert before["user_scores"] != after["user_scores"]

    kills, outcomes = 0, []
    for point, extra in enumerate(busy * fraction for fraction in FRACTIONS):
        db = tmp_path / f"killed{point}.db"
        db.write_bytes(source.read_bytes())
        process = _start(db, "recalc")
        assert _writer_inside(db, process)
        time.sleep(extra)
        kills += _kill(process)

        _healthy(db)
        now = _without_times(dump(db))
        assert now in (before, after)
        outcomes.append("old" if now == before else "new")
        stale = query(db, "SELECT COUNT(*) FROM meta WHERE key = 'stale'")[0][0]
        assert stale == (now == before)  # the stale mark goes with the old scores
        _mended(db)
    print(f"\nrecalc: {kills} kills; scores left at each: {outcomes}")
    assert kills >= 5


# -- hook stream ---------------------------------------------------------------------


def stream_events(n: int) -> list[dict]:
    """Creations, flips, deletes and replays on the files' users and posts."""
    rng = random.Random(11)
    events, likes = [], {}
    for number in range(1, n + 1):
        roll = rng.random()
        if roll < 0.55 or not likes:
            like_id = 500_000 + number
            likes[like_id] = {"id": like_id, "user_id": rng.randint(1, USERS),
                              "likeable_type": "post", "likeable_id": rng.randint(1, POSTS),
                              "is_like": rng.random() < 0.7, "created_at": "2026-11-20"}
            event = {"event": "like.created", **likes[like_id]}
        elif roll < 0.75:
            like_id = rng.choice(list(likes))
            likes[like_id]["is_like"] = not likes[like_id]["is_like"]
            event = {"event": "like.updated", **likes[like_id]}
        elif roll < 0.85:
            event = {"event": "like.deleted", "id": likes.pop(rng.choice(list(likes)))["id"]}
        elif roll < 0.95:
            event = {"event": "post.created", "id": POSTS + number,
                     "user_id": rng.randint(1, USERS), "created_at": "2026-11-21"}
        else:
            event = dict(events[rng.randrange(len(events))])  # a replay, same event_id
            events.append(event)
            continue
        event["event_id"] = f"k{number}"
        events.append(event)
    return events


def _feed(process: subprocess.Popen, data: bytes) -> None:
    """Write the stream (more than a pipe holds) and close it; a killed reader ends it."""
    try:
        process.stdin.write(data)
    except BrokenPipeError:
        pass
    try:
        process.stdin.close()
    except BrokenPipeError:  # unflushed bytes for a reader that is gone
        pass


def _oracle(files: list[Path]) -> ref.State:
    state = ref.State()
    for path in files:
        with open(path, encoding="utf-8", newline="") as handle:
            state.load(path.stem, list(csv.DictReader(handle)))
    return state


def test_a_hook_stream_killed_anywhere_applies_a_prefix_of_whole_events(tmp_path: Path):
    files = _files(tmp_path)
    source = tmp_path / "source.db"
    ok("--db", source, "import", *files)
    events = stream_events(4500)
    stream = "".join(json.dumps(event) + "\n" for event in events)
    base = _oracle(files)

    kills, outcomes = 0, []
    # (events committed before the kill is armed, extra delay): a kill point each.
    for point, (committed, extra) in enumerate([(0, 0.0), (0, 0.02), (1000, 0.0), (1000, 0.05),
                                                (2000, 0.01), (3000, 0.0), (4000, 0.03)]):
        db = tmp_path / f"killed{point}.db"
        db.write_bytes(source.read_bytes())
        process = _start(db, "hook", "-", stdin=subprocess.PIPE)
        feeder = threading.Thread(target=_feed, args=(process, stream.encode()))
        feeder.start()
        deadline = time.monotonic() + 60
        while (count(db, "seen_events") < committed and process.poll() is None
               and time.monotonic() < deadline):
            time.sleep(0.002)
        if committed == 0:
            assert _writer_inside(db, process)
        time.sleep(extra)
        kills += _kill(process)
        feeder.join(timeout=30)

        _healthy(db)
        seen = {event_id for (event_id,) in query(db, "SELECT event_id FROM seen_events")}
        # The events applied are the first `applied` lines, a whole number of batches.
        applied = [size for size in (0, 1000, 2000, 3000, 4000, len(events))
                   if {event["event_id"] for event in events[:size]} == seen]
        assert applied, f"{len(seen)} event ids seen, not a prefix of whole batches"
        applied = applied[0]
        outcomes.append(applied)
        state = ref.State(tables={k: dict(v) for k, v in base.tables.items()})
        for event in events[:applied]:
            state.apply_event(event)
        assert {i for (i,) in query(db, "SELECT id FROM likes")} == set(state.tables["likes"])
        assert stored_scores(db) == state.components()
        # Every committed event's points went in with it: nothing to mend.
        assert run("--db", db, "recalc", "--check").exit_code == 0
        _mended(db)
    print(f"\nhook -: {kills} kills; events applied at each: {outcomes}")
    assert kills >= 5
