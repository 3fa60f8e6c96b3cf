"""SPEC.md invariant 5: concurrent hooks and running recalcs lose no update.

Eight senders (four sending one `scorekeeper hook` process per event, four
sending `hook -` streams) and two `recalc` loops share one database. Every
sender retries a command that exits 4, as SPEC.md allows; with event ids the
retry is exactly-once. At the end the stored scores must equal a plain
recomputation of every event, and no command may have exited with anything
but 0 or 4. A command that exited 4 must not have been applied: its retry
finds its event ids unseen.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pytest

import reference as ref
from conftest import ok, write_kind
from db_state import clean_env, count, query, scorekeeper_command, stored_scores
from scorekeeper import scoring as scoring_module
from scorekeeper.db import Database
from scorekeeper.errors import BusyError
from scorekeeper.scoring import Scoring, recalc_scores

pytestmark = pytest.mark.slow

SHARED_USERS = range(1, 21)
SHARED_POSTS = range(1, 41)
SHARED_REVIEWS = range(101, 121)
SHARED_COMMENTS = range(201, 241)
BULK_LIKES = 60_000
SINGLE_EVENTS = 100  # per single-call sender (a process each: the costly part)
STREAM_EVENTS = 800  # per stream sender
STREAM_CHUNK = 50
HOT = 20  # identical events every sender sends, each with one shared event_id
MAX_TRIES = 60


def _initial_files(folder: Path) -> dict[str, list[tuple]]:
    rows = {
        "users": [(uid, f"u{uid}", None, "2026-01-01", None) for uid in SHARED_USERS],
        "posts": [(pid, 1 + pid % 20, "2026-11-10") for pid in SHARED_POSTS],
        "reviews": [(rid, 1 + rid % 20, "2026-11-10") for rid in SHARED_REVIEWS],
        "comments": [(cid, 1 + cid % 20, "2026-11-10") for cid in SHARED_COMMENTS],
        "likes": [(10_000_000 + n, 1 + n % 20, "post", 1 + n % 40, n % 3 != 0, "2026-11-12")
                  for n in range(BULK_LIKES)],
    }
    for kind, kind_rows in rows.items():
        write_kind(folder, kind, kind_rows)
    return rows


def _like(like_id, target, target_id, is_like, when="2026-11-20T10:00:00Z", user_id=None):
    return {"id": like_id, "user_id": user_id, "likeable_type": target,
            "likeable_id": target_id, "is_like": is_like, "created_at": when}


def sender_events(sender: int) -> list[dict]:
    """One sender's own events, in order. Senders touch disjoint rows (their own user,
    items, likes and votes), so the end state does not depend on the interleaving,
    while the points all land on the same shared authors."""
    rng = random.Random(sender)
    base = (sender + 1) * 1_000_000
    own_user = 1000 + sender
    events = [{"event": "user.created", "id": own_user, "username": f"sender{sender}",
               "name": "S", "created_at": "2026-01-01"}]
    own_posts, own_reviews, likes, votes = [], [], {}, {}
    total = SINGLE_EVENTS if sender < 4 else STREAM_EVENTS
    while len(events) < total:
        roll = rng.random()
        if roll < 0.08:
            post_id = base + len(own_posts) + 1
            own_posts.append(post_id)
            author = rng.choice([own_user, *SHARED_USERS])
            events.append({"event": "post.created", "id": post_id, "user_id": author,
                           "created_at": "2026-11-15"})
        elif roll < 0.12:
            review_id = base + 500_000 + len(own_reviews) + 1
            own_reviews.append(review_id)
            events.append({"event": "review.created", "id": review_id,
                           "user_id": rng.choice(list(SHARED_USERS)), "created_at": "2026-11-16"})
        elif roll < 0.45 or not likes:
            like_id = base + 100_000 + len(likes) + 1
            target, target_id = rng.choice([("post", rng.choice(list(SHARED_POSTS))),
                                            ("comment", rng.choice(list(SHARED_COMMENTS))),
                                            ("post", rng.choice(own_posts or [1]))])
            likes[like_id] = _like(like_id, target, target_id, rng.random() < 0.7,
                                   user_id=rng.choice([None, own_user]))
            events.append({"event": "like.created", **likes[like_id]})
        elif roll < 0.6:
            like_id = rng.choice(list(likes))
            likes[like_id] = {**likes[like_id], "is_like": not likes[like_id]["is_like"]}
            events.append({"event": "like.updated", **likes[like_id]})
        elif roll < 0.68:
            events.append({"event": "like.deleted", "id": rng.choice(list(likes))})
        elif roll < 0.88 or not votes:
            vote_id = base + 200_000 + len(votes) + 1
            votes[vote_id] = {"id": vote_id, "user_id": None,
                              "review_id": rng.choice([*SHARED_REVIEWS, *own_reviews]),
                              "vote_type": rng.choice(["up", "down"]),
                              "created_at": "2026-11-21T00:00:00+02:00"}
            events.append({"event": "review_vote.created", **votes[vote_id]})
        elif roll < 0.94:
            vote_id = rng.choice(list(votes))
            flipped = "down" if votes[vote_id]["vote_type"] == "up" else "up"
            votes[vote_id] = {**votes[vote_id], "vote_type": flipped}
            events.append({"event": "review_vote.updated", **votes[vote_id]})
        elif roll < 0.97 and own_posts:
            events.append({"event": "post.deleted", "id": rng.choice(own_posts)})
        else:
            events.append({"event": "user.updated", "id": own_user,
                           "username": f"sender{sender}-{len(events)}", "name": "S",
                           "created_at": "2026-01-01"})
    for number, event in enumerate(events, 1):
        event["event_id"] = f"s{sender}-{number}"
    hot = hot_events()
    for slot, event in zip(sorted(rng.sample(range(len(events)), HOT)), hot):
        events.insert(slot, event)
    return events


def hot_events() -> list[dict]:
    return [{"event": "like.created", "event_id": f"hot-{n}",
             **_like(9_000_000 + n, "post", 1 + n, True, "2026-11-25")} for n in range(HOT)]


@dataclass
class Log:
    """What one sender saw: exit codes, and every retry that found its events applied."""

    codes: Counter = field(default_factory=Counter)
    applied_before_exit_4: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _run(args: list[str], stdin: str | None, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([*scorekeeper_command(), *args], input=stdin, capture_output=True,
                          text=True, timeout=120, env=env)


def _send(args: list[str], stdin: str | None, env: dict, log: Log, unique_ids: set[str]) -> None:
    """One command, retried while it exits 4; a retry must find none of its own ids seen."""
    after_busy = False
    for _ in range(MAX_TRIES):
        done = _run(args, stdin, env)
        log.codes[done.returncode] += 1
        if after_busy:
            for event_id in unique_ids:
                if f"skipped event_id {event_id!r}" in done.stderr:
                    log.applied_before_exit_4.append(event_id)
        if done.returncode == 0:
            return
        if done.returncode != 4 or "stayed busy" not in done.stderr:
            log.problems.append(f"{args[:2]} exited {done.returncode}: {done.stderr.strip()}")
            return
        after_busy = True
        time.sleep(0.01)
    log.problems.append(f"{args[:2]} still busy after {MAX_TRIES} tries")


def single_sender(sender: int, db: Path, log: Log, env: dict) -> None:
    for event in sender_events(sender):
        unique = set() if event["event_id"].startswith("hot-") else {event["event_id"]}
        _send(["--db", str(db), "hook", event["event"], "--json", json.dumps(event)], None,
              env, log, unique)


def stream_sender(sender: int, db: Path, log: Log, env: dict) -> None:
    events = sender_events(sender)
    for start in range(0, len(events), STREAM_CHUNK):
        chunk = events[start:start + STREAM_CHUNK]
        unique = {e["event_id"] for e in chunk if not e["event_id"].startswith("hot-")}
        _send(["--db", str(db), "hook", "-"], "".join(json.dumps(e) + "\n" for e in chunk),
              env, log, unique)


def recalc_loop(db: Path, log: Log, env: dict, stop: threading.Event, pause: float) -> None:
    while not stop.wait(pause):
        done = _run(["--db", str(db), "recalc", "--quiet"], None, env)
        log.codes[done.returncode] += 1
        if done.returncode not in (0, 4) or (done.returncode == 4 and "stayed busy" not in done.stderr):
            log.problems.append(f"recalc exited {done.returncode}: {done.stderr.strip()}")


def _oracle(rows: dict[str, list[tuple]]) -> ref.State:
    state = ref.State()
    for kind, kind_rows in rows.items():
        state.load(kind, [dict(zip(("id", "username", "name", "created_at", "is_bot")
                                   if kind == "users" else _COLUMNS[kind], row))
                          for row in kind_rows])
    return state


_COLUMNS = {"posts": ("id", "user_id", "created_at"), "reviews": ("id", "user_id", "created_at"),
            "comments": ("id", "user_id", "created_at"),
            "likes": ("id", "user_id", "likeable_type", "likeable_id", "is_like", "created_at")}


def test_concurrent_hooks_and_recalcs_lose_no_update(tmp_path: Path):
    db = tmp_path / "scorekeeper.db"
    rows = _initial_files(tmp_path)
    ok("import", *[tmp_path / f"{kind}.csv" for kind in rows])
    quick = clean_env(SCOREKEEPER_BUSY_TIMEOUT_SECONDS="0.05")  # some exits 4 to retry
    patient = clean_env()
    logs = [Log() for _ in range(8)]
    recalc_log = Log()
    stop = threading.Event()
    threads = [threading.Thread(target=single_sender if n < 4 else stream_sender,
                                args=(n, db, logs[n], quick if n % 2 else patient))
               for n in range(8)]
    # Cron fired twice: a patient recalc loop and an impatient one, overlapping.
    recalcs = [threading.Thread(target=recalc_loop, args=(db, recalc_log, env, stop, pause))
               for env, pause in ((patient, 0.4), (quick, 1.0))]
    started = time.monotonic()
    for thread in threads + recalcs:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    stop.set()
    for thread in recalcs:
        thread.join(timeout=120)
    seconds = time.monotonic() - started

    problems = [p for log in logs + [recalc_log] for p in log.problems]
    assert problems == []
    assert [e for log in logs for e in log.applied_before_exit_4] == []
    assert recalc_log.codes[0] >= 5, recalc_log.codes  # recalcs really ran alongside

    # Every event exactly once: the stored activity and scores equal a plain
    # recomputation, and recalc finds nothing to fix.
    state = _oracle(rows)
    for sender in range(8):
        for event in sender_events(sender):
            state.apply_event(event)
    sent_ids = {e["event_id"] for n in range(8) for e in sender_events(n)}
    assert {event_id for (event_id,) in query(db, "SELECT event_id FROM seen_events")} == sent_ids
    assert count(db, "likes") == len(state.tables["likes"])
    assert count(db, "review_votes") == len(state.tables["review_votes"])
    expected = state.components()
    assert stored_scores(db) == expected
    check = _run(["--db", str(db), "recalc", "--check"], None, patient)
    assert check.returncode == 0, check.stderr
    today = datetime.now(timezone.utc).date()
    export = _run(["--db", str(db), "export"], None, patient)
    assert export.stdout == ref.to_csv(state.standings(today))

    sends = sum(sum(log.codes.values()) for log in logs)
    busy = sum(log.codes[4] for log in logs)
    print(f"\n8 senders, {len(sent_ids) + HOT * 7:,} events sent in {sends:,} commands "
          f"({busy:,} exited 4 and were retried); {recalc_log.codes[0]} recalcs done, "
          f"{recalc_log.codes[4]} busy; {seconds:.1f} s")


# -- two recalcs at once (cron fired twice) -------------------------------------------------


def _drifted(tmp_path: Path) -> tuple[Path, int]:
    """A database whose scores all need writing (imported with --no-recalc)."""
    rows = _initial_files(tmp_path)
    ok("import", "--no-recalc", *[tmp_path / f"{kind}.csv" for kind in rows])
    return tmp_path / "scorekeeper.db", len(rows["users"])


def test_two_recalcs_at_once_wait_for_each_other(tmp_path: Path):
    db, users = _drifted(tmp_path)
    both = [subprocess.Popen([*scorekeeper_command(), "--db", str(db), "recalc"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=clean_env()) for _ in range(2)]
    outputs = [process.communicate(timeout=120) for process in both]
    assert [process.returncode for process in both] == [0, 0], outputs
    assert all(out == "" for out, _ in outputs)
    changed = sorted(int(re.search(r"changed ([\d,]+)", err).group(1).replace(",", ""))
                     for _, err in outputs)
    assert changed == [0, users]  # one did the work, the other found it done
    assert _run(["--db", str(db), "recalc", "--check"], None, clean_env()).returncode == 0


def test_a_second_recalc_waits_or_exits_4_while_the_first_writes(tmp_path: Path):
    """Deterministic: the first recalc is held inside its write transaction."""
    db, users = _drifted(tmp_path)
    scoring = Scoring(dict(ref.DEFAULT_WEIGHTS), tuple(sorted(ref.DEFAULT_EXCLUDED)))
    inside, release = threading.Event(), threading.Event()
    results = {}

    def first() -> None:
        def hold(step: str) -> None:
            if step == "writing":
                inside.set()
                release.wait(timeout=60)

        with Database(db, 30, write=True) as database:
            results["first"] = recalc_scores(database, scoring, on_step=hold)

    def second() -> None:
        with Database(db, 30, write=True) as database:
            results["second"] = recalc_scores(database, scoring)

    holder = threading.Thread(target=first)
    holder.start()
    assert inside.wait(timeout=60)
    # Impatient: a busy timeout of 0.2 s ends in BusyError, the CLI's exit 4.
    with Database(db, 0.2, write=True) as database:
        with pytest.raises(BusyError, match="stayed busy past the busy timeout"):
            recalc_scores(database, scoring)
    # Patient: it waits for the first, then finds nothing left to fix.
    waiter = threading.Thread(target=second)
    waiter.start()
    time.sleep(0.3)
    assert "second" not in results
    release.set()
    holder.join(timeout=60)
    waiter.join(timeout=60)
    assert (results["first"].changed, results["second"].changed) == (users, 0)
    assert _run(["--db", str(db), "recalc", "--check"], None, clean_env()).returncode == 0
    assert query(db, "SELECT value FROM meta WHERE key = ?", (scoring_module.STALE_KEY,)) == []


def test_eight_processes_creating_a_new_database_at_once(tmp_path: Path):
    """The first writes race to create the schema and switch it to WAL: none may fail."""
    db = tmp_path / "new.db"
    senders = [subprocess.Popen(
        [*scorekeeper_command(), "--db", str(db), "hook", "user.created", "--id", str(n),
         "--username", f"u{n}", "--name", "N", "--created-at", "2026-01-01"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env())
        for n in range(1, 9)]
    outputs = [sender.communicate(timeout=120) for sender in senders]
    assert [sender.returncode for sender in senders] == [0] * 8, outputs
    assert count(db, "users") == 8
    assert query(db, "PRAGMA journal_mode") == [("wal",)]
    assert query(db, "SELECT COUNT(*) FROM schema_migrations")[0][0] >= 1
