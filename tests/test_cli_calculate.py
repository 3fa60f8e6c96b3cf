"""`scorekeeper calculate`: one user recalculated and printed, or every user."""

from __future__ import annotations

import json
import sqlite3

import pytest

from conftest import EXAMPLE_EXPORT, LISTING_HEADER, ok, run


def corrupt(db, sql: str) -> None:
    conn = sqlite3.connect(db)
    try:
        conn.execute(sql)
        conn.commit()
    finally:
        conn.close()


def test_calculate_one_user_fixes_her_row_and_prints_it(example_db):
    corrupt(example_db, "UPDATE user_scores SET total_score = 0, post_likes_score = 0"
                        " WHERE user_id IN (1, 2)")
    result = run("calculate", "--user-id", "1", "--as-of", "2026-11-30")
    assert result.exit_code == 0
    assert result.stdout == LISTING_HEADER + "\n1,1,ann,1.8,2,0,-0.5,0.3,2\n"
    assert run("recalc", "--check").exit_code == 1  # bob was left alone
    ok("recalc")
    assert ok("export", "--as-of", "2026-11-30").stdout == EXAMPLE_EXPORT


def test_calculate_formats(example_db):
    data = json.loads(ok("calculate", "--user-id", "2", "--as-of", "2026-11-30",
                         "--format", "json").stdout)
    assert data == [{"rank": 2, "user_id": 2, "username": "bob", "total_score": 1.5,
                     "post_likes_score": 0, "review_votes_score": 1, "comment_likes_score": 0,
                     "content_creation_score": 0.5, "monthly_increase": -0.5}]
    table = ok("calculate", "--user-id", "2", "--format", "table").stdout
    assert "\x1b" not in table and "1.5" in table


def test_calculate_without_user_id_is_recalc(example_db):
    corrupt(example_db, "UPDATE user_scores SET total_score = 0 WHERE user_id = 1")
    result = run("calculate")
    assert (result.exit_code, result.stdout) == (0, "")
    assert "changed 1" in result.stderr
    assert run("recalc", "--check").exit_code == 0


@pytest.mark.parametrize("user_id, fragment", [("99", "no user with id 99"),
                                               ("3", "excluded")])
def test_calculate_an_unknown_or_excluded_user_exits_3(example_db, user_id, fragment):
    result = run("calculate", "--user-id", user_id)
    assert result.exit_code == 3
    assert result.stdout == ""
    assert fragment in result.stderr


def test_calculate_a_bad_user_id_is_bad_usage(example_db):
    assert run("calculate", "--user-id", "ann").exit_code == 2


def test_calculate_an_id_beyond_64_bits(example_db):
    result = run("calculate", "--user-id", "99999999999999999999")
    assert result.exception is None
    assert result.exit_code in (2, 3)
