"""`scorekeeper leaderboard`: ranks, ties, --limit, formats, --as-of."""

from __future__ import annotations

import csv
import io
import json

import pytest

from conftest import LISTING_HEADER, ok, run, run_process, write_kind

@pytest.fixture
def ranked(tmp_path):
    """ann, bob and cy 3.2 each (bob's like in October), dee 0; admin (excluded) 0.2."""
    write_kind(tmp_path, "users", [(1, "ann", "A", "2026-01-01", None),
                                   (2, "bob", "B", "2026-01-01", None),
                                   (3, "cy", "C", "2026-01-01", None),
                                   (4, "dee", "D", "2026-01-01", None),
                                   (5, "admin", "X", "2026-01-01", None)])
    write_kind(tmp_path, "posts", [(10, 1, "2026-11-01"), (11, 2, "2026-11-01"),
                                   (12, 3, "2026-11-01"), (13, 5, "2026-11-01")])
    write_kind(tmp_path, "likes", [(1, 5, "post", 10, 1, "2026-11-05"),
                                   (2, 5, "post", 11, 1, "2026-10-05"),
                                   (3, 5, "post", 12, 1, "2026-11-05"),
                                   (4, 1, "post", 13, 1, "2026-11-05")])
    ok("import", "users.csv", "posts.csv", "likes.csv")


EXPECTED = (LISTING_HEADER + "\n"
            "1,1,ann,3.2,3,0,0,0.2,3.2\n"
            "1,2,bob,3.2,3,0,0,0.2,0.2\n"
            "1,3,cy,3.2,3,0,0,0.2,3.2\n"
            "4,4,dee,0,0,0,0,0,0\n")


def test_leaderboard_ranks_ties_by_user_id_and_never_lists_the_excluded(ranked):
    result = run("leaderboard", "--as-of", "2026-11-30")
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout == EXPECTED  # csv: stdout is not a terminal


@pytest.mark.parametrize("limit, rows", [(0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (50, 4)])
def test_limit_prints_exactly_n_rows_cut_on_the_stated_order(ranked, limit, rows):
    result = ok("leaderboard", "--as-of", "2026-11-30", "--limit", str(limit), "--format", "csv")
    assert result.stdout == "".join(EXPECTED.splitlines(keepends=True)[:rows + 1])


def test_the_default_limit_is_50(tmp_path):
    write_kind(tmp_path, "users", [(i, f"u{i}", "U", "2026-01-01", None) for i in range(1, 61)])
    ok("import", "users.csv")
    assert len(ok("leaderboard").stdout.splitlines()) == 51


@pytest.mark.parametrize("limit", ["-1", "x"])
def test_a_bad_limit_is_bad_usage(ranked, limit):
    result = run("leaderboard", "--limit", limit)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "--limit" in result.stderr


def test_leaderboard_as_json(ranked):
    result = ok("leaderboard", "--as-of", "2026-11-30", "--format", "json", "--limit", "2")
    data = json.loads(result.stdout)
    assert [row["username"] for row in data] == ["ann", "bob"]
    assert data[0] == {"rank": 1, "user_id": 1, "username": "ann", "total_score": 3.2,
                       "post_likes_score": 3, "review_votes_score": 0,
                       "comment_likes_score": 0, "content_creation_score": 0.2,
                       "monthly_increase": 3.2}
    assert list(data[0]) == LISTING_HEADER.split(",")


def test_leaderboard_as_a_table_into_a_pipe_keeps_every_column(ranked):
    result = ok("leaderboard", "--as-of", "2026-11-30", "--format", "table")
    assert "\x1b" not in result.stdout
    lines = result.stdout.splitlines()
    assert len(lines) == 5
    assert lines[1].split() == ["1", "1", "ann", "3.2", "3", "0", "0", "0.2", "3.2"]
    assert lines[4].split() == ["4", "4", "dee", "0", "0", "0", "0", "0", "0"]
    assert len({len(line) for line in lines[1:]}) <= 2  # aligned, not wrapped


def test_leaderboard_table_through_a_real_pipe_with_term_dumb(ranked):
    result = run_process("leaderboard", "--as-of", "2026-11-30", "--format", "table",
                         env={"TERM": "dumb", "COLUMNS": "20"})
    assert result.exit_code == 0
    assert "\x1b" not in result.stdout
    assert result.stdout.splitlines()[3].split() == ["1", "3", "cy", "3.2", "3", "0", "0",
                                                      "0.2", "3.2"]


def test_leaderboard_on_a_missing_database_exits_3(db_path):
    result = run("leaderboard")
    assert result.exit_code == 3
    assert result.stdout == ""
    assert "run `scorekeeper init`" in result.stderr
    assert not db_path.exists()


def test_leaderboard_csv_parses_back(ranked):
    rows = list(csv.DictReader(io.StringIO(ok("leaderboard", "--as-of", "2026-11-30").stdout)))
    assert [row["rank"] for row in rows] == ["1", "1", "1", "4"]
