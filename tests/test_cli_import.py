"""`scorekeeper import FILE...`: kinds, formats, bad rows, --skip-invalid, --replace,
--dry-run, --no-recalc, and the closing recalculation."""

from __future__ import annotations

import gc
import json
import sqlite3
import warnings
from pathlib import Path

import pytest

from conftest import LISTING_HEADER, ok, run, write_csv, write_kind
from scorekeeper.db import Database
from scorekeeper.importer import import_file

USERS = [(1, "ann", "Ann", "2026-01-01", None), (2, "bob", "Bob", "2026-01-01", None)]


def rows(db: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def export(*extra: str) -> str:
    return ok("export", "--as-of", "2026-11-30", *extra).stdout


def scores() -> dict[str, str]:
    """username -> total_score from the export."""
    lines = export().splitlines()[1:]
    return {line.split(",")[2]: line.split(",")[3] for line in lines}


# -- kinds and formats ---------------------------------------------------------

@pytest.mark.parametrize("name, kind", [
    ("likes.csv", "likes"),
    ("likes-2026-11-30.csv", "likes"),
    ("review_votes_1.csv", "review_votes"),
    ("review_votes.2026.csv", "review_votes"),
    ("posts_part2.csv", "posts"),
])
def test_the_kind_comes_from_the_file_name(tmp_path, db_path, name, kind):
    header = {"likes": ("id", "user_id", "likeable_type", "likeable_id", "is_like", "created_at"),
              "review_votes": ("id", "user_id", "review_id", "vote_type", "created_at"),
              "posts": ("id", "user_id", "created_at")}[kind]
    row = {"likes": (1, 2, "post", 10, 1, "2026-11-05"),
           "review_votes": (1, 2, 20, "up", "2026-11-05"),
           "posts": (10, 1, "2026-11-05")}[kind]
    write_csv(tmp_path / name, header, [row])
    result = ok("import", name)
    assert result.stdout == ""
    assert f"imported 1 {kind} from {name}" in result.stderr
    assert rows(db_path, f"SELECT id FROM {kind}") == [(row[0],)]


def test_kind_overrides_the_file_name(tmp_path, db_path):
    write_kind(tmp_path, "users", USERS, name="export-from-crm.csv")
    result = ok("import", "--kind", "users", "export-from-crm.csv")
    assert "imported 2 users from export-from-crm.csv" in result.stderr
    assert rows(db_path, "SELECT id, username FROM users ORDER BY id") == [(1, "ann"), (2, "bob")]


def test_a_file_name_that_names_no_kind_is_an_error(tmp_path):
    write_kind(tmp_path, "users", USERS, name="people.csv")
    result = run("import", "people.csv")
    assert result.exit_code == 3
    assert result.stdout == ""
    assert "Error: people.csv: cannot tell the kind from the file name 'people.csv'" in result.stderr
    assert "--kind" in result.stderr
    # "likesx" is not "likes" followed by - _ or .
    write_kind(tmp_path, "likes", [], name="likesx.csv")
    assert run("import", "likesx.csv").exit_code == 3


def test_an_unknown_kind_option_is_bad_usage(tmp_path):
    write_kind(tmp_path, "users", USERS)
    result = run("import", "--kind", "people", "users.csv")
    assert result.exit_code == 2
    assert "--kind 'people' is not a kind" in result.stderr


def test_ndjson_jsonl_and_json_arrays(tmp_path, db_path):
    (tmp_path / "users.ndjson").write_text(
        '{"id": 1, "username": "ann", "name": "Ann", "created_at": "2026-01-01"}\n\n'
        '{"id": 2, "username": "bob", "name": null, "created_at": "2026-01-01", "is_bot": false}\n',
        encoding="utf-8")
    (tmp_path / "posts.jsonl").write_text(
        '{"id": 10, "user_id": 1, "created_at": "2026-11-01T00:00:00Z"}\n', encoding="utf-8")
    (tmp_path / "likes.json").write_text(json.dumps([
        {"id": 1, "user_id": 2, "likeable_type": "post", "likeable_id": 10, "is_like": True,
         "created_at": "2026-11-05"},
        {"id": 2, "user_id": None, "likeable_type": "Post", "likeable_id": 10, "is_like": "yes",
         "created_at": "2026-11-05"},
    ]), encoding="utf-8")
    ok("import", "users.ndjson", "posts.jsonl", "likes.json")
    assert scores() == {"ann": "6.2", "bob": "0"}


def test_an_unknown_extension_is_an_error(tmp_path):
    (tmp_path / "users.txt").write_text("id,username,name,created_at\n", encoding="utf-8")
    result = run("import", "users.txt")
    assert result.exit_code == 3
    assert "users.txt: unknown format '.txt'" in result.stderr


def test_a_missing_file_is_an_error():
    result = run("import", "nowhere/users.csv")
    assert result.exit_code == 3
    assert "nowhere/users.csv: no such file" in result.stderr
    assert result.stdout == ""


# -- CSV details -----------------------------------------------------------------

def test_bom_crlf_and_quoted_newlines(tmp_path, db_path):
    (tmp_path / "users.csv").write_bytes(
        "\ufeffid,username,name,created_at\r\n"
        '1,ann,"Ann\r\nSmith, Jr.",2026-01-01\r\n'
        "2,bob,Zoë 李 🚀,2026-01-01\r\n".encode("utf-8"))
    ok("import", "users.csv")
    assert rows(db_path, "SELECT id, username, name FROM users ORDER BY id") == [
        (1, "ann", "Ann\r\nSmith, Jr."), (2, "bob", "Zoë 李 🚀")]


def test_a_header_without_rows_imports_nothing_and_succeeds(tmp_path, db_path):
    write_kind(tmp_path, "users", [])
    result = ok("import", "users.csv")
    assert "imported 0 users from users.csv" in result.stderr
    assert rows(db_path, "SELECT COUNT(*) FROM users") == [(0,)]
    (tmp_path / "posts.json").write_text("[]", encoding="utf-8")
    ok("import", "posts.json")


def test_a_zero_byte_file_is_an_error(tmp_path):
    (tmp_path / "users.csv").write_bytes(b"")
    result = run("import", "users.csv")
    assert result.exit_code == 3
    assert "users.csv: the file is empty (0 bytes)" in result.stderr


def test_extra_columns_are_ignored_with_one_warning(tmp_path, db_path):
    write_csv(tmp_path / "posts.csv", ("id", "user_id", "created_at", "title", "body"),
              [(10, 1, "2026-11-01", "t", "b"), (11, 1, "2026-11-01", "t", "b")])
    result = ok("import", "posts.csv")
    warnings_seen = [line for line in result.stderr.splitlines() if line.startswith("Warning:")]
    assert len(warnings_seen) == 1
    assert "'title'" in warnings_seen[0] and "'body'" in warnings_seen[0]
    assert rows(db_path, "SELECT COUNT(*) FROM posts") == [(2,)]


@pytest.mark.parametrize("kind, column, meant", [
    ("users", "isBot", "is_bot"),
    ("posts", "User-Id", "user_id"),
    ("likes", "LikeableType", "likeable_type"),
    ("review_votes", "review-id", "review_id"),
])
def test_a_column_that_differs_only_in_case_or_dashes_is_an_error(tmp_path, db_path, kind,
                                                                   column, meant):
    header = {"users": ["id", "username", "name", "created_at", "is_bot"],
              "posts": ["id", "user_id", "created_at"],
              "likes": ["id", "user_id", "likeable_type", "likeable_id", "is_like", "created_at"],
              "review_votes": ["id", "user_id", "review_id", "vote_type", "created_at"]}[kind]
    header[header.index(meant)] = column
    write_csv(tmp_path / f"{kind}.csv", header, [])
    result = run("import", f"{kind}.csv")
    assert result.exit_code == 3
    assert f"{kind}.csv: column '{column}' is not a {kind} column; did you mean '{meant}'?" \
        in result.stderr


def test_a_missing_required_column_is_an_error(tmp_path):
    write_csv(tmp_path / "posts.csv", ("id", "created_at"), [(10, "2026-11-01")])
    result = run("import", "posts.csv")
    assert result.exit_code == 3
    assert "posts.csv: the posts column(s) user_id are missing" in result.stderr


# -- bad rows --------------------------------------------------------------------

BAD_ROWS = [
    # kind, good rows, bad row, column, value as shown
    ("likes", [(1, 2, "post", 10, "1", "2026-11-05")], (2, 2, "post", 10, "maybe", "2026-11-05"),
     "is_like", "'maybe'"),
    ("likes", [], (2, 2, "blog", 10, "1", "2026-11-05"), "likeable_type", "'blog'"),
    ("review_votes", [], (1, 2, 20, "sideways", "2026-11-05"), "vote_type", "'sideways'"),
    ("posts", [(10, 1, "2026-11-01")], (11, 1, "30/11/2026"), "created_at", "'30/11/2026'"),
    ("posts", [], (11, "x", "2026-11-01"), "user_id", "'x'"),
    ("posts", [], (9223372036854775808, 1, "2026-11-01"), "id", "'9223372036854775808'"),
    ("posts", [], (-9223372036854775809, 1, "2026-11-01"), "id", "'-9223372036854775809'"),
    ("posts", [], (11, "", "2026-11-01"), "user_id", "''"),
    ("users", [], (1, "", "Ann", "2026-01-01", ""), "username", "''"),
    ("users", [], (1, "ann", "Ann", "2026-01-01", "perhaps"), "is_bot", "'perhaps'"),
]


@pytest.mark.parametrize("kind, good, bad, column, shown", BAD_ROWS)
def test_a_bad_row_names_file_line_column_and_value(tmp_path, db_path, kind, good, bad,
                                                    column, shown):
    write_kind(tmp_path, kind, [*good, bad])
    result = run("import", f"{kind}.csv")
    assert result.exit_code == 3
    assert result.stdout == ""
    line = len(good) + 2
    assert f"Error: {kind}.csv line {line}: column {column}: value {shown}" in result.stderr
    assert "--skip-invalid" in result.stderr  # says what to do next
    assert rows(db_path, f"SELECT COUNT(*) FROM {kind}") == [(0,)]  # nothing of the file


def test_ids_at_the_64_bit_limits_are_fine(tmp_path, db_path):
    write_kind(tmp_path, "posts", [(9223372036854775807, 1, "2026-11-01"),
                                   (-9223372036854775808, 1, "2026-11-01")])
    ok("import", "posts.csv")
    assert sorted(rows(db_path, "SELECT id FROM posts")) == [(-9223372036854775808,),
                                                             (9223372036854775807,)]


def test_the_same_id_twice_in_one_file_is_a_bad_row(tmp_path, db_path):
    write_kind(tmp_path, "posts", [(10, 1, "2026-11-01"), (11, 1, "2026-11-01"),
                                   (10, 2, "2026-11-02")])
    result = run("import", "posts.csv")
    assert result.exit_code == 3
    assert "posts.csv line 4: column id: value 10 appears twice in this file (first at line 2)" \
        in result.stderr
    assert rows(db_path, "SELECT COUNT(*) FROM posts") == [(0,)]


def test_the_same_id_twice_is_found_on_a_filled_table_too(tmp_path, db_path):
    write_kind(tmp_path, "posts", [(1, 1, "2026-11-01")], name="posts-first.csv")
    ok("import", "posts-first.csv")
    write_kind(tmp_path, "posts", [(10, 1, "2026-11-01"), (10, 2, "2026-11-02")])
    result = run("import", "posts.csv")
    assert result.exit_code == 3
    assert "posts.csv line 3: column id: value 10 appears twice" in result.stderr


def test_a_username_twice_in_one_file_is_a_bad_row(tmp_path, db_path):
    write_kind(tmp_path, "users", [(1, "ann", "Ann", "2026-01-01", ""),
                                   (2, "ann", "Bob", "2026-01-01", "")])
    result = run("import", "users.csv")
    assert result.exception is None
    assert result.exit_code == 3
    assert "users.csv line 3: column username: value 'ann'" in result.stderr


def test_skip_invalid_rejects_a_repeated_username(tmp_path, db_path):
    write_kind(tmp_path, "users", [(1, "ann", "Ann", "2026-01-01", ""),
                                   (2, "ann", "Bob", "2026-01-01", "")])
    result = run("import", "--skip-invalid", "users.csv")
    assert result.exception is None
    assert result.exit_code == 0
    assert rows(db_path, "SELECT id, username FROM users") == [(1, "ann")]
    rejects = (tmp_path / "users.rejects.csv").read_text(encoding="utf-8").splitlines()
    assert len(rejects) == 2
    assert rejects[1].startswith("2,ann,Bob,")
    assert ",line 3,column username: value 'ann' already belongs to user 1" in rejects[1]


def test_a_bad_json_record_names_the_record(tmp_path):
    (tmp_path / "posts.json").write_text(json.dumps([
        {"id": 10, "user_id": 1, "created_at": "2026-11-01"},
        {"id": 11, "user_id": 1, "created_at": "yesterday"},
    ]), encoding="utf-8")
    result = run("import", "posts.json")
    assert result.exit_code == 3
    assert "posts.json record 2: column created_at: value 'yesterday'" in result.stderr


def test_a_bad_ndjson_line_names_the_line(tmp_path):
    (tmp_path / "posts.ndjson").write_text(
        '{"id": 10, "user_id": 1, "created_at": "2026-11-01"}\n'
        '{"id": 11, "user_id": true, "created_at": "2026-11-01"}\n', encoding="utf-8")
    result = run("import", "posts.ndjson")
    assert result.exit_code == 3
    assert "posts.ndjson line 2: column user_id: value True" in result.stderr


def test_a_bad_file_stops_the_command_and_the_files_before_it_stay(tmp_path, db_path):
    write_kind(tmp_path, "users", USERS)
    write_kind(tmp_path, "posts", [(10, 1, "2026-11-01"), (11, 1, "nope")])
    write_kind(tmp_path, "comments", [(30, 1, "2026-11-01")])
    result = run("import", "users.csv", "posts.csv", "comments.csv")
    assert result.exit_code == 3
    assert "imported 2 users from users.csv" in result.stderr
    assert "Error: posts.csv line 3: column created_at: value 'nope'" in result.stderr
    assert rows(db_path, "SELECT COUNT(*) FROM users") == [(2,)]
    assert rows(db_path, "SELECT COUNT(*) FROM posts") == [(0,)]
    assert rows(db_path, "SELECT COUNT(*) FROM comments") == [(0,)]  # stopped there


def test_the_files_before_a_bad_file_are_reflected_in_the_listings(tmp_path):
    write_kind(tmp_path, "users", USERS)
    write_kind(tmp_path, "posts", [(11, 1, "nope")])
    assert run("import", "users.csv", "posts.csv").exit_code == 3
    listed = run("export", "--as-of", "2026-11-30")
    assert listed.stdout == LISTING_HEADER + "\n1,1,ann,0,0,0,0,0,0\n1,2,bob,0,0,0,0,0,0\n" \
        or "stale" in listed.stderr


# -- --skip-invalid ---------------------------------------------------------------

def test_skip_invalid_stores_the_good_rows_and_writes_the_rejects(tmp_path, db_path):
    write_kind(tmp_path, "users", USERS)
    write_kind(tmp_path, "posts", [(10, 1, "2026-11-01"), (11, "x", "2026-11-01"),
                                   (12, 1, "nope"), (13, 2, "2026-11-02")])
    result = run("import", "--skip-invalid", "users.csv", "posts.csv")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "2 rejected, see posts.rejects.csv" in result.stderr
    assert rows(db_path, "SELECT id FROM posts ORDER BY id") == [(10,), (13,)]
    rejects = (tmp_path / "posts.rejects.csv").read_text(encoding="utf-8").splitlines()
    assert rejects[0].startswith("id,user_id,created_at,")
    assert rejects[1].startswith("11,x,2026-11-01,line 3,")
    assert "column user_id: value 'x'" in rejects[1]
    assert rejects[2].startswith("12,1,nope,line 4,")
    assert len(rejects) == 3
    assert scores() == {"ann": "0.2", "bob": "0.2"}


def test_skip_invalid_with_a_rejects_path(tmp_path):
    write_kind(tmp_path, "posts", [(10, 1, "2026-11-01"), (11, "x", "2026-11-01")])
    result = run("import", "--skip-invalid", "--rejects", "out.csv", "posts.csv")
    assert result.exit_code == 0, result.stderr
    assert "1 rejected, see out.csv" in result.stderr
    assert (tmp_path / "out.csv").read_text(encoding="utf-8").splitlines()[1].startswith(
        "11,x,2026-11-01,line 3,")
    assert not (tmp_path / "posts.rejects.csv").exists()


def test_skip_invalid_with_a_rejects_path_in_a_missing_folder(tmp_path):
    write_kind(tmp_path, "posts", [(10, 1, "2026-11-01"), (11, "x", "2026-11-01")])
    result = run("import", "--skip-invalid", "--rejects", "bad/out.csv", "posts.csv")
    assert result.exception is None
    assert result.exit_code in (0, 2, 3)
    if result.exit_code:
        assert "Error:" in result.stderr and "bad/out.csv" in result.stderr
    else:
        assert (tmp_path / "bad" / "out.csv").exists()


def test_skip_invalid_writes_no_rejects_file_for_a_clean_file(tmp_path):
    write_kind(tmp_path, "posts", [(10, 1, "2026-11-01")])
    ok("import", "--skip-invalid", "posts.csv")
    assert not (tmp_path / "posts.rejects.csv").exists()


def test_replace_with_skip_invalid_is_refused(tmp_path, db_path):
    write_kind(tmp_path, "posts", [(10, 1, "2026-11-01")])
    result = run("import", "--replace", "--skip-invalid", "posts.csv")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "--replace with --skip-invalid is refused" in result.stderr
    assert not db_path.exists() or rows(db_path, "SELECT COUNT(*) FROM posts") == [(0,)]


# -- re-import, --replace, --dry-run ---------------------------------------------

def test_reimport_updates_in_place(tmp_path, db_path):
    write_kind(tmp_path, "users", USERS)
    write_kind(tmp_path, "posts", [(10, 1, "2026-11-01")])
    ok("import", "users.csv", "posts.csv")
    write_kind(tmp_path, "posts", [(10, 2, "2026-11-01")])
    result = ok("import", "posts.csv")
    assert "0 added, 1 changed, 0 unchanged" in result.stderr
    assert scores() == {"bob": "0.2", "ann": "0"}


def test_replace_removes_missing_rows_with_what_hangs_on_them(tmp_path, db_path):
    write_kind(tmp_path, "users", USERS)
    write_kind(tmp_path, "posts", [(10, 1, "2026-11-01"), (11, 2, "2026-11-01")])
    write_kind(tmp_path, "likes", [(1, 2, "post", 10, 1, "2026-11-05"),
                                   (2, 1, "post", 11, 1, "2026-11-05")])
    ok("import", "users.csv", "posts.csv", "likes.csv")
    assert scores() == {"ann": "3.2", "bob": "3.2"}
    write_kind(tmp_path, "posts", [(11, 2, "2026-11-01")])
    result = ok("import", "--replace", "posts.csv")
    assert "1 removed" in result.stderr
    assert rows(db_path, "SELECT id FROM likes") == [(2,)]
    assert scores() == {"bob": "3.2", "ann": "0"}


def test_dry_run_reports_and_stores_nothing(tmp_path, db_path):
    write_kind(tmp_path, "users", USERS)
    write_kind(tmp_path, "posts", [(10, 1, "2026-11-01"), (11, 1, "2026-11-01")])
    ok("import", "users.csv", "posts.csv")
    before = export()
    write_kind(tmp_path, "posts", [(10, 2, "2026-11-01"), (12, 1, "2026-11-01")])
    result = ok("import", "--dry-run", "--replace", "posts.csv")
    assert result.stdout == ""
    assert "1 added, 1 changed, 0 unchanged, 1 removed" in result.stderr
    assert rows(db_path, "SELECT id, user_id FROM posts ORDER BY id") == [(10, 1), (11, 1)]
    assert export() == before


def test_renamed_user_keeps_her_posts_likes_and_score(tmp_path, db_path):
    write_kind(tmp_path, "users", USERS)
    write_kind(tmp_path, "posts", [(10, 1, "2026-11-01")])
    write_kind(tmp_path, "likes", [(1, 2, "post", 10, 1, "2026-11-05")])
    ok("import", "users.csv", "posts.csv", "likes.csv")
    write_kind(tmp_path, "users", [(1, "annie", "Ann B.", "2026-01-01", ""), USERS[1]])
    result = ok("import", "users.csv")
    assert "0 added, 1 changed, 1 unchanged" in result.stderr
    assert rows(db_path, "SELECT COUNT(*) FROM posts") == [(1,)]
    assert rows(db_path, "SELECT COUNT(*) FROM likes") == [(1,)]
    assert export() == (LISTING_HEADER + "\n1,1,annie,3.2,3,0,0,0.2,3.2\n2,2,bob,0,0,0,0,0,0\n")


def test_two_users_swapping_usernames_in_one_file(tmp_path, db_path):
    write_kind(tmp_path, "users", USERS)
    ok("import", "users.csv")
    write_kind(tmp_path, "users", [(1, "bob", "Ann", "2026-01-01", ""),
                                   (2, "ann", "Bob", "2026-01-01", "")])
    result = run("import", "users.csv")
    assert result.exit_code == 0, result.stderr
    assert rows(db_path, "SELECT id, username FROM users ORDER BY id") == [(1, "bob"), (2, "ann")]


# -- targets and authors that arrive later ---------------------------------------

def test_likes_and_items_may_arrive_before_what_they_point_at(tmp_path):
    write_kind(tmp_path, "likes", [(1, 2, "post", 10, 1, "2026-11-05"),
                                   (2, "", "comment", 30, 0, "2026-11-05")])
    write_kind(tmp_path, "review_votes", [(1, 1, 20, "up", "2026-11-05")])
    write_kind(tmp_path, "posts", [(10, 1, "2026-11-01")])
    write_kind(tmp_path, "comments", [(30, 1, "2026-11-01")])
    write_kind(tmp_path, "reviews", [(20, 2, "2026-11-01")])
    write_kind(tmp_path, "users", USERS)
    ok("import", "likes.csv", "review_votes.csv")
    ok("import", "posts.csv", "comments.csv", "reviews.csv")
    assert export() == LISTING_HEADER + "\n"  # no users yet
    ok("import", "users.csv")
    assert export() == (LISTING_HEADER + "\n"
                        "1,1,ann,2.8,3,0,-0.5,0.3,2.8\n"
                        "2,2,bob,2.3,0,2,0,0.3,2.3\n")


def test_a_like_without_a_voter_still_scores(tmp_path):
    write_kind(tmp_path, "users", USERS)
    write_kind(tmp_path, "posts", [(10, 1, "2026-11-01")])
    write_kind(tmp_path, "likes", [(1, "", "post", 10, "TRUE", "2026-11-05")])
    ok("import", "users.csv", "posts.csv", "likes.csv")
    assert scores()["ann"] == "3.2"


@pytest.mark.parametrize("value, is_like", [
    ("1", True), ("0", False), ("true", True), ("FALSE", False), ("Yes", True), ("no", False),
])
def test_booleans_in_any_case(tmp_path, value, is_like):
    write_kind(tmp_path, "users", USERS)
    write_kind(tmp_path, "posts", [(10, 1, "2026-11-01")])
    write_kind(tmp_path, "likes", [(1, 2, "post", 10, value, "2026-11-05")])
    ok("import", "users.csv", "posts.csv", "likes.csv")
    assert scores()["ann"] == ("3.2" if is_like else "-0.8")


@pytest.mark.parametrize("likeable_type", ["post", "POST", "Post", "App\\Models\\Post",
                                           "App\\Post"])
def test_likeable_type_spellings(tmp_path, likeable_type):
    write_kind(tmp_path, "users", USERS)
    write_kind(tmp_path, "posts", [(10, 1, "2026-11-01")])
    write_kind(tmp_path, "likes", [(1, 2, likeable_type, 10, 1, "2026-11-05")])
    ok("import", "users.csv", "posts.csv", "likes.csv")
    assert scores()["ann"] == "3.2"


@pytest.mark.parametrize("text, stored", [
    ("2026-11-30T12:00:00Z", "2026-11-30T12:00:00"),
    ("2026-11-30 12:00:00", "2026-11-30T12:00:00"),
    ("2026-11-30 12:00:00.123+02:00", "2026-11-30T10:00:00.123"),
    ("2026-11-30T12:00:00-05:00", "2026-11-30T17:00:00"),
    ("2026-11-30", "2026-11-30T00:00:00"),
])
def test_timestamps_are_stored_as_utc(tmp_path, db_path, text, stored):
    write_kind(tmp_path, "posts", [(10, 1, text)])
    ok("import", "posts.csv")
    [(value,)] = rows(db_path, "SELECT created_at FROM posts")
    assert value.startswith(stored)


# -- --no-recalc and the closing recalculation -----------------------------------

def test_import_ends_with_a_recalculation(tmp_path):
    write_kind(tmp_path, "users", USERS)
    write_kind(tmp_path, "posts", [(10, 1, "2026-11-01")])
    result = ok("import", "users.csv", "posts.csv")
    assert "updated the scores of 2 of 2 users" in result.stderr
    assert run("recalc", "--check").exit_code == 0


def test_no_recalc_marks_the_database_stale_until_recalc(tmp_path):
    write_kind(tmp_path, "users", USERS)
    ok("import", "users.csv")
    write_kind(tmp_path, "posts", [(10, 1, "2026-11-01")])
    result = ok("import", "--no-recalc", "posts.csv")
    assert "stale" in result.stderr
    for command in (["leaderboard"], ["risers"], ["show", "ann"], ["export"]):
        read = run(*command)
        assert read.exit_code == 0
        assert "Warning: scores are stale" in read.stderr
        assert "scorekeeper recalc" in read.stderr
    check = run("recalc", "--check")
    assert check.exit_code == 1
    assert check.stdout == ""
    ok("recalc")
    assert run("recalc", "--check").exit_code == 0
    assert run("leaderboard").stderr == ""
    assert scores()["ann"] == "0.2"


# -- resources --------------------------------------------------------------------

def test_import_closes_the_file_it_read(tmp_path, db_path):
    path = write_kind(tmp_path, "users", USERS)
    database = Database(db_path, 5, write=True)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            import_file(database, path)
            gc.collect()
    finally:
        database.close()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
