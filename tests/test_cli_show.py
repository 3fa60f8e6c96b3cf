"""`scorekeeper show USER`: by id, by username, --username, unknown and excluded users."""

from __future__ import annotations

import json

import pytest

from conftest import LISTING_HEADER, ok, run, write_kind


def test_show_by_id_and_by_username(example_db):
    by_id = run("show", "1", "--as-of", "2026-11-30")
    by_name = run("show", "ann", "--as-of", "2026-11-30")
    assert by_id.exit_code == by_name.exit_code == 0
    assert by_id.stdout == by_name.stdout == LISTING_HEADER + "\n1,1,ann,1.8,2,0,-0.5,0.3,2\n"
    assert by_id.stderr == ""


def test_show_as_json(example_db):
    data = json.loads(ok("show", "bob", "--as-of", "2026-11-30", "--format", "json").stdout)
    assert data == [{"rank": 2, "user_id": 2, "username": "bob", "total_score": 1.5,
                     "post_likes_score": 0, "review_votes_score": 1, "comment_likes_score": 0,
                     "content_creation_score": 0.5, "monthly_increase": -0.5}]


def test_show_as_a_table_is_a_breakdown(example_db):
    result = ok("show", "ann", "--as-of", "2026-11-30", "--format", "table")
    assert "\x1b" not in result.stdout
    text = result.stdout
    for value in ("1.8", "-0.5", "0.3", "ann"):
        assert value in text


def test_an_all_digit_username_needs_username_option(tmp_path):
    write_kind(tmp_path, "users", [(1, "2024", "Year", "2026-01-01", None),
                                   (2024, "ann", "Ann", "2026-01-01", None)])
    ok("import", "users.csv")
    assert ok("show", "2024").stdout.splitlines()[1].split(",")[1:3] == ["2024", "ann"]
    assert ok("show", "--username", "2024").stdout.splitlines()[1].split(",")[1:3] == ["1", "2024"]


def test_username_matching_is_exact(example_db):
    result = run("show", "Ann")
    assert result.exit_code == 3
    assert "no user with username 'Ann'" in result.stderr


@pytest.mark.parametrize("user, fragment", [
    ("999", "user 999 is not listed"),
    ("nobody", "no user with username 'nobody'"),
    ("admin", "is not listed"),
    ("3", "user 3 is not listed"),
])
def test_unknown_and_excluded_users_exit_3(example_db, user, fragment):
    result = run("show", user)
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ")
    assert fragment in result.stderr
    assert "scorekeeper export" in result.stderr  # says what to do next


def test_a_bot_is_not_shown(tmp_path):
    write_kind(tmp_path, "users", [(1, "helper", "H", "2026-01-01", "yes")])
    ok("import", "users.csv")
    assert run("show", "helper").exit_code == 3


def test_show_on_a_missing_database_exits_3(db_path):
    result = run("show", "ann")
    assert result.exit_code == 3
    assert "run `scorekeeper init`" in result.stderr
    assert not db_path.exists()


@pytest.mark.parametrize("user", ["9223372036854775808", "99999999999999999999"])
def test_an_id_beyond_64_bits_is_an_unknown_user(example_db, user):
    result = run("show", user)
    assert result.exception is None
    assert result.exit_code == 3
    assert "not listed" in result.stderr or "no user" in result.stderr


def test_the_largest_64_bit_id_is_an_ordinary_unknown_user(example_db):
    result = run("show", "9223372036854775807")
    assert result.exit_code == 3
    assert "user 9223372036854775807 is not listed" in result.stderr
