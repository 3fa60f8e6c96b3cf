"""The scenarios every scoring system must pass, and FIELD-CASES.md's faults as classes.

Each class of fault gets a test that pins the class (ties, exactness, vanished rows,
double counting, switching votes, deletes, dates and zones, CSV injection, markup,
exit codes, re-imports), through the CLI as a user or a site would drive it.
"""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import pty
import signal
import sqlite3
import struct
import subprocess
import sys
import termios
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

import reference as ref
from conftest import LISTING_HEADER, ok, run, run_process, write_kind

FOUR = [(1, "ann", "Ann", "2026-01-01", None), (2, "bob", "Bob", "2026-01-01", None),
        (3, "cy", "Cy", "2026-01-01", None), (4, "dee", "Dee", "2026-01-01", None)]
AS_OF = "2026-11-30"


def hook(event: str, **fields) -> None:
    """One event through `hook --json`, which must succeed."""
    result = run("hook", event, "--json", json.dumps(fields))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""


def listing(*args: str) -> list[dict[str, str]]:
    result = run(*args, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout, newline="")))


def user_row(name: str, as_of: str = AS_OF) -> dict[str, str]:
    return listing("show", "--username", name, "--as-of", as_of)[0]


def no_drift() -> None:
    check = run("recalc", "--check")
    assert check.exit_code == 0, check.stderr


# -- the three scenarios every scoring system must pass ---------------------------

class TestAPostLikeIsWorthExactlyThree:
    def test_through_a_hook(self, tmp_path):
        write_kind(tmp_path, "users", FOUR)
        write_kind(tmp_path, "posts", [(10, 1, "2026-11-01")])
        ok("import", "users.csv", "posts.csv")
        before = {row["username"]: row for row in listing("export", "--as-of", AS_OF)}
        hook("like.created", id=1, user_id=2, likeable_type="post", likeable_id=10,
             is_like=True, created_at="2026-11-20T10:00:00Z")
        after = {row["username"]: row for row in listing("export", "--as-of", AS_OF)}
        assert before["ann"]["total_score"] == "0.2" and after["ann"]["total_score"] == "3.2"
        assert after["ann"]["post_likes_score"] == "3"
        assert after["ann"]["monthly_increase"] == "3.2"
        for name in ("bob", "cy", "dee"):  # the liker and everybody else: unchanged
            assert after[name] == before[name]
        no_drift()

    def test_through_an_import_and_for_a_self_like(self, tmp_path):
        write_kind(tmp_path, "users", FOUR)
        write_kind(tmp_path, "posts", [(10, 1, "2026-11-01")])
        ok("import", "users.csv", "posts.csv")
        write_kind(tmp_path, "likes", [(1, 1, "post", 10, 1, "2026-11-20")])
        ok("import", "likes.csv")
        assert user_row("ann")["total_score"] == "3.2"


class TestHookScoresEqualRecalculatedScoresWithFractionalWeights:
    CONFIG = ("[weights]\npost_like = 0.1\npost_dislike = -0.5\nreview_upvote = 0.2\n"
              "review_downvote = -0.001\ncomment_like = 0.3\ncomment_dislike = -0.5\n"
              "post_created = 0.001\nreview_created = 0.3\ncomment_created = 0.1\n")
    WEIGHTS = {"post_like": 100, "post_dislike": -500, "review_upvote": 200,
               "review_downvote": -1, "comment_like": 300, "comment_dislike": -500,
               "post_created": 1, "review_created": 300, "comment_created": 100}

    def events(self) -> list[dict]:
        events = [{"event": "user.created", "id": i, "username": name, "name": name,
                   "created_at": "2026-01-01"} for i, name, *_ in FOUR]
        for n in range(7):
            events.append({"event": "post.created", "id": 100 + n, "user_id": 1 + n % 3,
                           "created_at": f"2026-11-{10 + n}"})
            events.append({"event": "comment.created", "id": 300 + n, "user_id": 1 + n % 4,
                           "created_at": f"2026-10-{20 + n}"})
        events += [{"event": "review.created", "id": 200, "user_id": 4, "created_at": "2026-11-02"}]
        for n in range(9):
            events.append({"event": "like.created", "id": n, "user_id": 4, "likeable_type":
                           "post" if n % 2 else "comment", "likeable_id": (100 if n % 2 else 300)
                           + n % 7, "is_like": n % 3 != 0, "created_at": "2026-11-20"})
            events.append({"event": "review_vote.created", "id": n, "user_id": 1 + n % 3,
                           "review_id": 200, "vote_type": "down" if n % 4 else "up",
                           "created_at": "2026-11-21"})
        events += [
            {"event": "like.updated", "id": 3, "user_id": 4, "likeable_type": "post",
             "likeable_id": 103, "is_like": True, "created_at": "2026-11-22"},
            {"event": "review_vote.updated", "id": 2, "user_id": 1, "review_id": 200,
             "vote_type": "up", "created_at": "2026-11-22"},
            {"event": "post.deleted", "id": 101},
            {"event": "like.deleted", "id": 4},
            {"event": "user.deleted", "id": 3},
        ]
        return events

    def test_one_event_at_a_time(self, tmp_path):
        (tmp_path / "scorekeeper.toml").write_text(self.CONFIG, encoding="utf-8")
        state = ref.State()
        for event in self.events():
            hook(event["event"], **{k: v for k, v in event.items() if k != "event"})
            state.apply_event(event)
        no_drift()
        expected = state.standings(date(2026, 11, 30), self.WEIGHTS)
        assert ok("export", "--as-of", AS_OF).stdout == ref.to_csv(expected)
        assert any(row.total_score % 100 for row in expected)  # thousandths really occur

    def test_as_a_stream(self, tmp_path):
        (tmp_path / "scorekeeper.toml").write_text(self.CONFIG, encoding="utf-8")
        state = ref.State()
        for event in self.events():
            state.apply_event(event)
        text = "".join(json.dumps(event) + "\n" for event in self.events())
        assert run("hook", "-", input=text).exit_code == 0
        no_drift()
        assert ok("export", "--as-of", AS_OF).stdout == ref.to_csv(
            state.standings(date(2026, 11, 30), self.WEIGHTS))


class TestMonthlyIncreaseWindow:
    """--as-of 2026-11-30: from 2026-11-01T00:00:00Z up to, not including, 2026-12-01."""

    CASES = [  # (created_at of post 10+i by user i+1, inside the window?)
        ("2026-11-01T00:00:00Z", True),  # the window's first instant
        ("2026-10-31T23:59:59Z", False),  # one second before it
        ("2026-11-30T23:59:59Z", True),  # the last second of the as-of day
        ("2026-11-30T23:59:59.999999Z", True),
        ("2026-12-01T00:00:00Z", False),  # the first instant after
        ("2026-10-31T23:30:00-05:00", True),  # 2026-11-01T04:30Z: November in UTC
        ("2026-11-01T00:30:00+01:00", False),  # 2026-10-31T23:30Z: October in UTC
        ("2026-11-01", True),  # a date alone is midnight UTC
        ("2026-11-30 23:59:59", True),  # no offset: UTC
        ("2026-12-01T00:59:59+01:00", True),  # 2026-11-30T23:59:59Z
    ]

    def test_each_boundary(self, tmp_path):
        users = [(i + 1, f"u{i + 1}", "U", "2026-01-01", None) for i in range(len(self.CASES))]
        write_kind(tmp_path, "users", users)
        write_kind(tmp_path, "posts", [(10 + i, i + 1, when)
                                       for i, (when, _) in enumerate(self.CASES)])
        ok("import", "users.csv", "posts.csv")
        monthly = {row["username"]: row["monthly_increase"]
                   for row in listing("export", "--as-of", AS_OF)}
        for i, (when, inside) in enumerate(self.CASES):
            assert monthly[f"u{i + 1}"] == ("0.2" if inside else "0"), when
        risers = [row["username"] for row in listing("risers", "--as-of", AS_OF, "--limit", "99")]
        assert risers == [f"u{i + 1}" for i, (_, inside) in enumerate(self.CASES) if inside]

    def test_a_like_is_dated_by_its_own_time_not_its_posts(self, tmp_path):
        write_kind(tmp_path, "users", FOUR)
        write_kind(tmp_path, "posts", [(10, 1, "2026-09-01"), (11, 2, "2026-11-15")])
        write_kind(tmp_path, "likes", [(1, 3, "post", 10, 1, "2026-11-15"),
                                       (2, 3, "post", 11, 0, "2026-10-15"),
                                       (3, 4, "post", 10, 0, "2026-12-01T00:00:00Z")])
        ok("import", "users.csv", "posts.csv", "likes.csv")
        assert user_row("ann")["monthly_increase"] == "3"  # the like, not the old post
        assert user_row("ann")["total_score"] == "2.2"
        assert user_row("bob")["monthly_increase"] == "0.2"  # the post, not October's dislike
        assert user_row("ann", "2026-12-01")["monthly_increase"] == "2"

    def test_activity_inside_and_outside_the_window_nets_out(self, tmp_path):
        write_kind(tmp_path, "users", FOUR)
        write_kind(tmp_path, "reviews", [(20, 1, "2026-06-01")])
        write_kind(tmp_path, "review_votes", [(1, 2, 20, "up", "2026-10-31T23:59:59Z"),
                                              (2, 3, 20, "down", "2026-11-01T00:00:00Z"),
                                              (3, 4, 20, "down", "2026-11-30T12:00:00Z"),
                                              (4, 2, 20, "up", "2026-12-01T00:00:00Z")])
        ok("import", "users.csv", "reviews.csv", "review_votes.csv")
        ann = user_row("ann")
        assert (ann["total_score"], ann["monthly_increase"]) == ("2.3", "-2")
        assert [row["username"] for row in listing("risers", "--as-of", AS_OF)] == []
        assert user_row("ann", "2026-12-30")["monthly_increase"] == "2"


# -- FIELD-CASES 1: ties ------------------------------------------------------------

def tie_files(folder: Path, users: list) -> list[Path]:
    """ann 5 (10 posts, one liked), bob 3 (5 posts, a like, a dislike), cy 3 (a review,
    an upvote, 7 comments), dee 1 (5 posts)."""
    posts = [(100 + n, 1, "2026-11-01") for n in range(10)]
    posts += [(200 + n, 2, "2026-11-01") for n in range(5)]
    posts += [(300 + n, 4, "2026-11-01") for n in range(5)]
    return [
        write_kind(folder, "users", users),
        write_kind(folder, "posts", posts),
        write_kind(folder, "reviews", [(50, 3, "2026-11-01")]),
        write_kind(folder, "comments", [(60 + n, 3, "2026-11-01") for n in range(7)]),
        write_kind(folder, "likes", [(1, 4, "post", 100, 1, "2026-11-02"),
                                     (2, 4, "post", 200, 1, "2026-11-02"),
                                     (3, 1, "post", 201, 0, "2026-11-02")]),
        write_kind(folder, "review_votes", [(1, 1, 50, "up", "2026-11-02")]),
    ]


TIES = (LISTING_HEADER + "\n"
        "1,1,ann,5,3,0,0,2,5\n"
        "2,2,bob,3,2,0,0,1,3\n"
        "2,3,cy,3,0,2,0,1,3\n"
        "4,4,dee,1,0,0,0,1,1\n")


@pytest.mark.parametrize("order", ["forward", "reverse"])
def test_ties_share_a_rank_and_list_by_user_id(tmp_path, order):
    users = FOUR if order == "forward" else FOUR[::-1]
    files = tie_files(tmp_path, users)
    ok("import", *(files if order == "forward" else files[::-1]))
    assert ok("export", "--as-of", AS_OF).stdout == TIES
    assert ok("leaderboard", "--as-of", AS_OF).stdout == TIES
    assert ok("risers", "--as-of", AS_OF).stdout == TIES
    assert ok("leaderboard", "--as-of", AS_OF, "--limit", "2").stdout == \
        "".join(TIES.splitlines(keepends=True)[:3])
    assert ok("show", "cy", "--as-of", AS_OF).stdout.splitlines()[1] == "2,3,cy,3,0,2,0,1,3"


def test_ties_give_identical_bytes_whatever_the_import_order(tmp_path):
    outputs = set()
    for n, order in enumerate([FOUR, FOUR[::-1], [FOUR[2], FOUR[0], FOUR[3], FOUR[1]]]):
        folder = tmp_path / f"run{n}"
        folder.mkdir()
        files = tie_files(folder, order)
        ok("import", "--db", folder / "s.db", *(files[::-1] if n % 2 else files))
        outputs.add(tuple(ok(command, "--db", folder / "s.db", "--as-of", AS_OF,
                             "--format", fmt).stdout
                          for command in ("export", "leaderboard", "risers")
                          for fmt in ("csv", "json", "table")))
    assert len(outputs) == 1


# -- FIELD-CASES 2: exact arithmetic ----------------------------------------------

def test_three_posts_make_exactly_0_6_and_share_a_rank_with_another_0_6(tmp_path):
    write_kind(tmp_path, "users", FOUR)
    write_kind(tmp_path, "posts", [(10, 1, "2026-11-01"), (11, 1, "2026-11-01"),
                                   (12, 1, "2026-11-01")])
    write_kind(tmp_path, "reviews", [(20, 2, "2026-11-01"), (21, 3, "2026-11-01")])
    write_kind(tmp_path, "comments", [(30, 2, "2026-11-01"), (31, 2, "2026-11-01"),
                                      (32, 2, "2026-11-01"), (33, 3, "2026-11-01"),
                                      (34, 4, "2026-11-01")])
    write_kind(tmp_path, "likes", [(1, 1, "comment", 34, 0, "2026-11-02")])
    ok("import", "users.csv", "posts.csv", "reviews.csv", "comments.csv", "likes.csv")
    assert ok("export", "--as-of", AS_OF).stdout == (
        LISTING_HEADER + "\n"
        "1,1,ann,0.6,0,0,0,0.6,0.6\n"  # 0.2 + 0.2 + 0.2
        "1,2,bob,0.6,0,0,0,0.6,0.6\n"  # 0.3 + 0.1 + 0.1 + 0.1
        "3,3,cy,0.4,0,0,0,0.4,0.4\n"  # 0.3 + 0.1
        "4,4,dee,-0.4,0,0,-0.5,0.1,-0.4\n")  # one comment dislike is -0.5
    data = json.loads(ok("export", "--as-of", AS_OF, "--format", "json").stdout)
    assert data[3]["comment_likes_score"] == -0.5 and data[0]["total_score"] == 0.6


def test_ten_plus_0_2_and_ten_reversals_end_at_exactly_zero(tmp_path):
    hook("user.created", id=1, username="ann", name="Ann", created_at="2026-01-01")
    for n in range(10):
        hook("post.created", id=100 + n, user_id=1, created_at="2026-11-01")
    assert user_row("ann")["total_score"] == "2"
    for n in range(10):
        hook("post.deleted", id=100 + n)
    assert user_row("ann") == {"rank": "1", "user_id": "1", "username": "ann",
                               "total_score": "0", "post_likes_score": "0",
                               "review_votes_score": "0", "comment_likes_score": "0",
                               "content_creation_score": "0", "monthly_increase": "0"}
    no_drift()


def test_ten_flips_of_a_like_end_where_they_started(tmp_path):
    hook("user.created", id=1, username="ann", name="Ann", created_at="2026-01-01")
    hook("comment.created", id=30, user_id=1, created_at="2026-11-01")
    for n in range(10):
        hook("like.updated", id=1, user_id=None, likeable_type="comment", likeable_id=30,
             is_like=n % 2 == 0, created_at="2026-11-02")
    assert user_row("ann")["comment_likes_score"] == "-0.5"
    hook("like.deleted", id=1)
    assert user_row("ann")["total_score"] == "0.1"
    no_drift()


# -- FIELD-CASES 3: a recalculation that forgets vanished rows --------------------

def site_with_a_liked_post(tmp_path: Path) -> None:
    write_kind(tmp_path, "users", FOUR)
    write_kind(tmp_path, "posts", [(10, 1, "2026-11-01"), (11, 2, "2026-11-01")])
    write_kind(tmp_path, "likes", [(1, 2, "post", 10, 1, "2026-11-02"),
                                   (2, 3, "post", 10, 1, "2026-11-02")])
    ok("import", "users.csv", "posts.csv", "likes.csv")
    assert user_row("ann")["total_score"] == "6.2"


ANN_ZERO = {"rank": "2", "user_id": "1", "username": "ann", "total_score": "0",
            "post_likes_score": "0", "review_votes_score": "0", "comment_likes_score": "0",
            "content_creation_score": "0", "monthly_increase": "0"}


def test_a_post_deleted_by_hook_takes_its_likes_points_along(tmp_path):
    site_with_a_liked_post(tmp_path)
    hook("post.deleted", id=10)
    assert user_row("ann") == ANN_ZERO
    assert "ann" not in [row["username"] for row in listing("risers", "--as-of", AS_OF)]
    no_drift()
    assert "changed 0" in ok("recalc").stderr
    assert user_row("ann") == ANN_ZERO


def test_a_post_removed_by_import_replace_takes_its_likes_points_along(tmp_path, db_path):
    site_with_a_liked_post(tmp_path)
    write_kind(tmp_path, "posts", [(11, 2, "2026-11-01")])
    ok("import", "--replace", "posts.csv")
    assert user_row("ann") == ANN_ZERO
    ok("recalc")
    assert user_row("ann") == ANN_ZERO
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT COUNT(*) FROM likes").fetchone() == (0,)
    conn.close()
    # the post coming back later does not bring the old likes back
    write_kind(tmp_path, "posts", [(10, 1, "2026-11-01"), (11, 2, "2026-11-01")])
    ok("import", "posts.csv")
    assert user_row("ann")["total_score"] == "0.2"


# -- FIELD-CASES 4: double counting ----------------------------------------------

LIKE_A1 = {"event_id": "a1", "id": 77, "user_id": 2, "likeable_type": "post", "likeable_id": 10,
           "is_like": True, "created_at": "2026-11-30T10:00:00Z"}


def test_the_same_event_delivered_twice_counts_once(tmp_path):
    site_with_a_liked_post(tmp_path)
    hook("like.created", **LIKE_A1)
    hook("like.created", **LIKE_A1)
    text = json.dumps({"event": "like.created", **LIKE_A1}) + "\n"
    assert run("hook", "-", input=text * 3).exit_code == 0
    assert user_row("ann")["total_score"] == "9.2"
    no_drift()


@pytest.mark.slow
def test_two_processes_sending_the_same_event_at_once_count_once(tmp_path):
    site_with_a_liked_post(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCOREKEEPER_")}
    args = [sys.executable, "-m", "scorekeeper", "hook", "like.created",
            "--json", json.dumps(LIKE_A1)]
    for _ in range(3):
        processes = [subprocess.Popen(args, cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True) for _ in range(4)]
        outcomes = [(p.wait(timeout=60), p.stdout.read(), p.stderr.read()) for p in processes]
        for process in processes:
            process.stdout.close()
            process.stderr.close()
        assert [code for code, _, _ in outcomes] == [0, 0, 0, 0], outcomes
        assert all(out == "" for _, out, _ in outcomes)
    assert user_row("ann")["total_score"] == "9.2"
    no_drift()


# -- FIELD-CASES 5: switching and undoing votes ----------------------------------

def test_a_vote_switched_up_down_deleted_and_up_again(tmp_path):
    write_kind(tmp_path, "users", FOUR)
    write_kind(tmp_path, "reviews", [(30, 1, "2026-11-01")])
    ok("import", "users.csv", "reviews.csv")
    vote = {"id": 5, "user_id": 2, "review_id": 30, "created_at": "2026-11-03"}
    steps = [("review_vote.created", "up", "2", "2.3"),
             ("review_vote.updated", "down", "-1", "-0.7"),
             ("review_vote.deleted", None, "0", "0.3"),
             ("review_vote.created", "up", "2", "2.3")]
    for event, vote_type, component, total in steps:
        if vote_type is None:
            hook(event, id=5)
        else:
            hook(event, **vote, vote_type=vote_type)
        ann = user_row("ann")
        assert (ann["review_votes_score"], ann["total_score"]) == (component, total), event
        no_drift()


def test_deleting_a_vote_never_stored_changes_nothing_and_says_so(tmp_path):
    write_kind(tmp_path, "users", FOUR)
    ok("import", "users.csv")
    before = ok("export").stdout
    result = run("hook", "review_vote.deleted", "--id", "404")
    assert (result.exit_code, result.stdout) == (0, "")
    assert "no review_vote with id 404 is stored; nothing changed" in result.stderr
    assert ok("export").stdout == before


# -- FIELD-CASES 6: deleted things still scoring ---------------------------------

def every_output(as_of: str = AS_OF) -> dict[str, str]:
    outputs = {}
    for command in ("leaderboard", "risers", "export"):
        for fmt in ("csv", "json", "table"):
            outputs[f"{command} {fmt}"] = ok(command, "--as-of", as_of, "--format", fmt).stdout
    return outputs


@pytest.mark.parametrize("how", ["hook", "import --replace"])
def test_a_deleted_user_disappears_from_every_output(tmp_path, how):
    write_kind(tmp_path, "users", FOUR)
    write_kind(tmp_path, "posts", [(10, 1, "2026-11-01"), (11, 2, "2026-11-01")])
    write_kind(tmp_path, "likes", [(1, 2, "post", 10, 1, "2026-11-02"),
                                   (2, 1, "post", 11, 1, "2026-11-02")])
    ok("import", "users.csv", "posts.csv", "likes.csv")
    assert all("bob" in text for text in every_output().values())
    if how == "hook":
        hook("user.deleted", id=2)
    else:
        write_kind(tmp_path, "users", [FOUR[0], FOUR[2], FOUR[3]])
        ok("import", "--replace", "users.csv")
    for name, text in every_output().items():
        assert "bob" not in text, name
    assert run("show", "bob").exit_code == 3
    assert run("show", "2").exit_code == 3
    assert run("calculate", "--user-id", "2").exit_code == 3
    # bob's like on ann's post went with him; ann's like on bob's post went with his post
    assert user_row("ann")["total_score"] == "0.2"
    no_drift()


# -- FIELD-CASES 7: the wrong date or the wrong zone -----------------------------

def test_results_are_identical_whatever_the_local_time_zone(tmp_path):
    write_kind(tmp_path, "users", FOUR)
    write_kind(tmp_path, "posts", [(10, 1, "2026-10-31T23:30:00-05:00"),
                                   (11, 2, "2026-11-01 00:30:00+01:00"),
                                   (12, 3, "2026-11-30T20:00:00-05:00"),
                                   (13, 4, "2026-11-30")])
    write_kind(tmp_path, "likes", [(1, 2, "post", 10, 1, "2026-12-01T01:00:00+02:00"),
                                   (2, 3, "post", 11, 0, "2026-11-30T23:00:00-01:00"),
                                   (3, 4, "post", 12, 1, "2026-11-01T00:00:00.5+00:00")])
    outputs = {}
    calls = [["export", "--as-of", "2026-11-29"], ["export", "--as-of", "2026-11-30"],
             ["export", "--as-of", "2026-12-01"], ["risers", "--as-of", "2026-11-30"],
             ["show", "cy", "--as-of", "2026-11-30"]]
    for zone in ("UTC", "America/New_York"):
        env = {"TZ": zone}
        db = tmp_path / f"{zone.replace('/', '-')}.db"
        assert run_process("import", "--db", db, *sorted(tmp_path.glob("*.csv")),
                           env=env).exit_code == 0
        outputs[zone] = [run_process(*args, "--db", db, env=env).stdout for args in calls]
    assert len({tuple(value) for value in outputs.values()}) == 1
    assert outputs["UTC"][1].splitlines()[1:] == [
        "1,1,ann,3.2,3,0,0,0.2,3.2",  # post at 04:30Z Nov 1, a like at 23:00Z Nov 30
        "1,3,cy,3.2,3,0,0,0.2,3",  # post at 01:00Z Dec 1 is outside, the like inside
        "3,4,dee,0.2,0,0,0,0.2,0.2",
        "4,2,bob,-0.8,-1,0,0,0.2,0",  # post at 23:30Z Oct 31, dislike at 00:00Z Dec 1
    ]


def test_the_default_as_of_date_is_todays_date_in_utc_in_every_zone(tmp_path):
    today = datetime.now(timezone.utc).date()
    write_kind(tmp_path, "users", FOUR)
    # Each post moves the monthly increase of one user when the window moves by a day.
    write_kind(tmp_path, "posts", [(10, 1, today.isoformat()),
                                   (11, 2, (today - timedelta(days=29)).isoformat()),
                                   (12, 3, (today + timedelta(days=1)).isoformat()),
                                   (13, 4, (today - timedelta(days=30)).isoformat())])
    ok("import", "users.csv", "posts.csv")
    # UTC+14 and UTC-11: at any hour one of them has another date than UTC
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):
        explicit = run_process("export", "--as-of", today.isoformat(), env={"TZ": zone})
        default = run_process("export", env={"TZ": zone})
        if datetime.now(timezone.utc).date() != today:
            pytest.skip("the UTC date changed while the test ran")
        assert default.stdout == explicit.stdout, zone
    lines = explicit.stdout.splitlines()
    assert [line.split(",")[-1] for line in lines[1:]] == ["0.2", "0.2", "0", "0"]


# -- FIELD-CASES 9: CSV that a spreadsheet runs ----------------------------------

NAMES = ['=HYPERLINK("http://evil.example","click")', "Smith, Jr.", "two\nlines",
         "Zoë 李 🚀", '"quoted"', "+44 20", "@handle", "-minus"]


def test_awkward_names_round_trip_through_the_csv_module(tmp_path):
    users = [(i, name, f"{name} (name)", "2026-01-01", None) for i, name in enumerate(NAMES, 1)]
    write_kind(tmp_path, "users", users)
    write_kind(tmp_path, "comments", [(30, 8, "2026-11-01")])
    write_kind(tmp_path, "likes", [(1, 1, "comment", 30, 0, "2026-11-02")])
    ok("import", "users.csv", "comments.csv", "likes.csv")
    out = ok("export", "--as-of", AS_OF).stdout
    rows = list(csv.reader(io.StringIO(out, newline="")))
    assert len(rows) == len(NAMES) + 1  # one row per user
    assert sorted(row[2] for row in rows[1:]) == sorted(NAMES)
    assert out.encode("utf-8").count(b"\n") == len(NAMES) + 2  # "\n" only, plus the quoted one
    assert "\r" not in out and not out.startswith("\ufeff")
    by_name = {row[2]: row for row in rows[1:]}
    assert by_name["-minus"][3:] == ["-0.4", "0", "0", "-0.5", "0.1", "-0.4"]
    for fmt in ("json",):
        data = json.loads(ok("export", "--as-of", AS_OF, "--format", fmt).stdout)
        assert sorted(row["username"] for row in data) == sorted(NAMES)


def test_excel_safe_neutralises_formula_prefixes_in_text_cells_only(tmp_path):
    users = [(i, name, "N", "2026-01-01", None) for i, name in enumerate(NAMES, 1)]
    write_kind(tmp_path, "users", users)
    write_kind(tmp_path, "comments", [(30, 8, "2026-11-01")])
    write_kind(tmp_path, "likes", [(1, 1, "comment", 30, 0, "2026-11-02")])
    ok("import", "users.csv", "comments.csv", "likes.csv")
    rows = list(csv.reader(io.StringIO(ok("export", "--as-of", AS_OF, "--excel-safe").stdout,
                                       newline="")))
    assert len(rows) == len(NAMES) + 1
    for row in rows[1:]:
        assert not row[2].startswith(("=", "+", "-", "@", "\t", "\r"))
        for cell in row[3:]:  # numbers never altered
            assert cell.lstrip("-").replace(".", "", 1).isdigit(), row
    minus = [row for row in rows[1:] if row[1] == "8"][0]
    assert minus[3] == "-0.4" and minus[6] == "-0.5"
    untouched = {row[2] for row in rows[1:]} & set(NAMES)
    assert untouched == {"Smith, Jr.", "two\nlines", "Zoë 李 🚀", '"quoted"'}


# -- FIELD-CASES 10: tables in pipes and markup in names -------------------------

MARKUP = [(1, "[bold]x", "N", "2026-01-01", None), (2, "[/]", "N", "2026-01-01", None),
          (3, "[red]r[/red]", "N", "2026-01-01", None), (4, "a\x1b[31mb", "N", "2026-01-01", None)]


@pytest.fixture
def marked_up(tmp_path):
    write_kind(tmp_path, "users", MARKUP)
    write_kind(tmp_path, "posts", [(10, 1, "2026-11-01")])
    ok("import", "users.csv", "posts.csv")


def test_markup_in_names_prints_literally_in_a_plain_table(marked_up):
    for args in (["leaderboard"], ["risers"], ["export"], ["show", "[/]", "--username"]):
        result = run(*args, "--as-of", AS_OF, "--format", "table")
        assert result.exit_code == 0, result.stderr
        assert "\x1b" not in result.stdout
    table = ok("leaderboard", "--as-of", AS_OF, "--format", "table").stdout
    assert "[bold]x" in table and "[/]" in table and "[red]r[/red]" in table
    assert len(table.splitlines()) == 5


def test_a_table_piped_through_cat_with_term_dumb(marked_up):
    result = run_process("leaderboard", "--as-of", AS_OF, "--format", "table",
                         env={"TERM": "dumb"})
    assert result.exit_code == 0
    assert "\x1b" not in result.stdout
    assert "[bold]x" in result.stdout
    assert result.stdout.splitlines()[0].split() == [
        "Rank", "User", "id", "Username", "Total", "Post", "likes", "Review", "votes",
        "Comment", "likes", "Content", "Monthly"]


def on_a_terminal(args: list[str], columns: int, term: str) -> tuple[int, str, str]:
    """Run the entry point with stdout on a pseudo-terminal of `columns` columns."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    env = {k: v for k, v in os.environ.items()
           if k not in ("COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR")
           and not k.startswith("SCOREKEEPER_")}
    env["TERM"] = term
    process = subprocess.Popen([sys.executable, "-m", "scorekeeper", *args], stdout=follower,
                               stderr=subprocess.PIPE, env=env)
    os.close(follower)
    output = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    os.close(leader)
    code = process.wait(timeout=60)
    error = process.stderr.read().decode()
    process.stderr.close()
    return code, output.decode(), error


def test_markup_in_names_prints_literally_on_a_wide_terminal(marked_up):
    code, output, error = on_a_terminal(["leaderboard", "--as-of", AS_OF], 200,
                                        "xterm-256color")
    assert code == 0, error
    assert "MarkupError" not in error
    assert "[bold]x" in output and "[/]" in output and "[red]r[/red]" in output
    assert "a\x1b[31mb" not in output  # the name's own escape is shown escaped


@pytest.mark.parametrize("name", ["[bold]x", "[/]", "[red]r[/red]"])
def test_show_on_a_terminal_prints_markup_in_a_name_literally(marked_up, name):
    code, output, error = on_a_terminal(["show", "--username", name, "--as-of", AS_OF], 120,
                                        "xterm-256color")
    assert code == 0, error
    assert "MarkupError" not in error
    assert output.count(name) == 2  # the title and the Username row


@pytest.mark.parametrize("columns, term", [(80, "dumb"), (200, "dumb"), (80, "xterm-256color")])
def test_a_table_on_a_terminal_keeps_every_column(marked_up, columns, term):
    code, output, error = on_a_terminal(["leaderboard", "--as-of", AS_OF], columns, term)
    assert code == 0, error
    if term == "dumb":
        assert "\x1b" not in output
    for label in ("Rank", "User id", "Username", "Total", "Post likes", "Review votes",
                  "Comment likes", "Content", "Monthly"):
        assert label in output
    assert "[bold]x" in output


# -- FIELD-CASES 11: exit codes through the real entry point ---------------------

@pytest.mark.parametrize("args, code", [
    (["show", "ann"], 3),  # no database
    (["export", "--limit", "3"], 2),
    (["hook", "like.created", "--json", "{"], 2),
    (["import", "missing.csv"], 3),
])
def test_exit_codes_are_not_swallowed(args, code):
    result = run_process(*args)
    assert result.exit_code == code, result.stderr
    assert "Traceback" not in result.stderr
    assert run(*args).exit_code == code


# -- FIELD-CASES 12: re-import that destroys -------------------------------------

def test_renaming_a_user_keeps_her_posts_likes_and_score(tmp_path, db_path):
    site_with_a_liked_post(tmp_path)
    write_kind(tmp_path, "users", [(1, "ann.b", "Ann Brown", "2026-01-01", None), *FOUR[1:]])
    ok("import", "users.csv")
    assert user_row("ann.b")["total_score"] == "6.2"
    hook("user.updated", id=1, username="annie", name="Annie", created_at="2026-01-01")
    assert user_row("annie")["total_score"] == "6.2"
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT COUNT(*) FROM posts WHERE user_id = 1").fetchone() == (1,)
    assert conn.execute("SELECT COUNT(*) FROM likes").fetchone() == (2,)
    conn.close()
    no_drift()


def test_a_user_who_becomes_a_bot_leaves_the_listings_and_keeps_her_activity(tmp_path):
    site_with_a_liked_post(tmp_path)
    hook("user.updated", id=1, username="ann", name="Ann", created_at="2026-01-01",
         is_bot=True)
    assert "ann" not in ok("export").stdout
    hook("user.updated", id=1, username="ann", name="Ann", created_at="2026-01-01",
         is_bot=False)
    assert user_row("ann")["total_score"] == "6.2"
    no_drift()


def _count_or_zero(db: Path, table: str) -> int:
    try:
        conn = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True, timeout=0.1)
        try:
            return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


@pytest.mark.slow
def test_an_import_killed_halfway_and_run_again_ends_as_a_clean_import(tmp_path):
    rows = 100_000
    write_kind(tmp_path, "users", [(i, f"u{i}", "U", "2026-01-01", None) for i in range(1, 101)])
    write_kind(tmp_path, "posts", [(i, i % 100 + 1, "2026-11-01") for i in range(1, 1001)])
    write_kind(tmp_path, "likes", [(i, i % 97 + 1, "post", i % 1000 + 1, i % 3 != 0,
                                    "2026-11-05T10:00:00Z") for i in range(1, rows + 1)])
    files = ["users.csv", "posts.csv", "likes.csv"]
    ok("import", "--db", "clean.db", *files)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCOREKEEPER_")}
    process = subprocess.Popen([sys.executable, "-m", "scorekeeper", "import", "--db",
                                "killed.db", *files], cwd=tmp_path, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Kill it once users and posts are committed, while the likes are going in.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        if _count_or_zero(tmp_path / "killed.db", "posts") == 1000:
            time.sleep(0.15)
            break
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL, "the import ended before the kill"
    assert _count_or_zero(tmp_path / "killed.db", "likes") == 0  # one transaction per file
    again = run("import", "--db", "killed.db", *files)
    assert again.exit_code == 0, again.stderr
    for args in (["export", "--as-of", AS_OF], ["risers", "--as-of", AS_OF]):
        assert ok(*args, "--db", "killed.db").stdout == ok(*args, "--db", "clean.db").stdout
    assert run("recalc", "--check", "--db", "killed.db").exit_code == 0
    conn = sqlite3.connect(tmp_path / "killed.db")
    assert conn.execute("SELECT COUNT(*) FROM likes").fetchone() == (rows,)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
