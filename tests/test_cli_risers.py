"""`scorekeeper risers`: users whose monthly increase is above zero, ranked by it."""

from __future__ import annotations

import json

import pytest

from conftest import LISTING_HEADER, ok, run, write_kind


def test_the_worked_example_lists_ann_alone(example_db):
    result = run("risers", "--as-of", "2026-11-30")
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout == LISTING_HEADER + "\n1,1,ann,1.8,2,0,-0.5,0.3,2\n"


def test_the_worked_example_on_december_31st_prints_the_header_alone(example_db):
    assert ok("risers", "--as-of", "2026-12-31").stdout == LISTING_HEADER + "\n"
    assert ok("risers", "--as-of", "2026-12-31", "--format", "json").stdout.strip() == "[]"


@pytest.fixture
def rising(tmp_path):
    """Monthly increases for 2026-11-30: ann 0.2, bob 3.2, cy 3.2, dee -1 + 0.2, eve 0."""
    write_kind(tmp_path, "users", [(i, name, name, "2026-01-01", None) for i, name in
                                   enumerate(["ann", "bob", "cy", "dee", "eve"], 1)])
    write_kind(tmp_path, "posts", [(10, 1, "2026-11-01"), (11, 2, "2026-11-30T23:59:59Z"),
                                   (12, 3, "2026-11-15"), (13, 4, "2026-11-15"),
                                   (14, 5, "2026-10-01")])
    write_kind(tmp_path, "likes", [(1, 1, "post", 11, 1, "2026-11-20"),
                                   (2, 1, "post", 12, 1, "2026-11-20"),
                                   (3, 1, "post", 13, 0, "2026-11-20"),
                                   (4, 1, "post", 10, 1, "2026-10-31T23:59:59Z"),
                                   (5, 1, "post", 14, 1, "2026-10-20")])
    ok("import", "users.csv", "posts.csv", "likes.csv")


def test_risers_ranked_by_monthly_increase_ties_by_user_id(rising):
    result = ok("risers", "--as-of", "2026-11-30")
    assert result.stdout == (LISTING_HEADER + "\n"
                             "1,2,bob,3.2,3,0,0,0.2,3.2\n"
                             "1,3,cy,3.2,3,0,0,0.2,3.2\n"
                             "3,1,ann,3.2,3,0,0,0.2,0.2\n")


def test_risers_limit(rising):
    assert ok("risers", "--as-of", "2026-11-30", "--limit", "1").stdout.splitlines()[1:] == [
        "1,2,bob,3.2,3,0,0,0.2,3.2"]
    assert ok("risers", "--as-of", "2026-11-30", "--limit", "0").stdout == LISTING_HEADER + "\n"


def test_the_default_limit_is_20(tmp_path):
    users = [(i, f"u{i}", "U", "2026-01-01", None) for i in range(1, 31)]
    posts = [(100 + i, i, "2026-11-15") for i in range(1, 31)]
    write_kind(tmp_path, "users", users)
    write_kind(tmp_path, "posts", posts)
    ok("import", "users.csv", "posts.csv")
    assert len(ok("risers", "--as-of", "2026-11-30").stdout.splitlines()) == 21


def test_risers_as_json_and_table(rising):
    data = json.loads(ok("risers", "--as-of", "2026-11-30", "--format", "json").stdout)
    assert [(row["rank"], row["username"], row["monthly_increase"]) for row in data] == [
        (1, "bob", 3.2), (1, "cy", 3.2), (3, "ann", 0.2)]
    table = ok("risers", "--as-of", "2026-11-30", "--format", "table").stdout
    assert "\x1b" not in table
    assert [line.split()[2] for line in table.splitlines()[1:]] == ["bob", "cy", "ann"]


def test_risers_on_a_missing_database_exits_3(db_path):
    result = run("risers")
    assert result.exit_code == 3
    assert "run `scorekeeper init`" in result.stderr
    assert not db_path.exists()
