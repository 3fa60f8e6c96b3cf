"""`scorekeeper import-stackexchange DIR` on the hand-made mini dump in tests/data."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from conftest import LISTING_HEADER, ok, run

MINI = Path(__file__).resolve().parent / "data" / "se-mini"
# Worked out by hand from the mini dump with the default weights:
# user1: question 10 (+0.2) with 2 up and 1 down (+5), comment 201 (+0.1) scored 1 (+1)
# user3: question 14 (+0.2) with 1 down (-1), comment 202 (+0.1) scored 3 (+3)
# user2: answer 11 (+0.3) with 1 up and 1 down (+1), comment 200 (+0.1) scored 0
# -1 (Community) is a bot and never listed.
MINI_EXPORT = (LISTING_HEADER + "\n"
               "1,1,user1,6.3,5,0,1,0.3,0\n"
               "2,3,user3,2.3,-1,0,3,0.3,0\n"
               "3,2,user2,1.4,0,1,0,0.4,0\n")


@pytest.fixture
def dump(tmp_path: Path) -> Path:
    """A copy of the mini dump that a test may change."""
    return Path(shutil.copytree(MINI, tmp_path / "dump"))


def count(db: Path, table: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def test_the_mini_dump_scores_as_worked_out_by_hand(dump, db_path):
    result = run("import-stackexchange", dump)
    assert (result.exit_code, result.stdout) == (0, "")
    assert ok("export", "--as-of", "2026-11-30").stdout == MINI_EXPORT
    assert {table: count(db_path, table) for table in
            ("users", "posts", "reviews", "comments", "likes", "review_votes")} == {
        "users": 4, "posts": 2, "reviews": 2, "comments": 5, "likes": 10, "review_votes": 3}


def test_the_summary_counts_what_was_skipped(dump):
    result = ok("import-stackexchange", dump)
    assert "read 4 users, 2 questions (posts), 2 answers (reviews), 5 comments, 10 likes, " \
           "3 review votes" in result.stderr
    assert "skipped 2 posts that are neither questions nor answers" in result.stderr
    assert "skipped 3 votes on posts missing from the dump" in result.stderr
    assert "skipped 2 votes of other types" in result.stderr


def test_the_monthly_increase_of_a_dump(dump):
    ok("import-stackexchange", dump)
    # 2011-02-01 .. 2011-03-02 for --as-of 2011-03-02: the votes, comment 200 and 201
    lines = ok("export", "--as-of", "2011-03-02").stdout.splitlines()
    assert lines[1:] == ["1,1,user1,6.3,5,0,1,0.3,6.1", "2,3,user3,2.3,-1,0,3,0.3,-1",
                         "3,2,user2,1.4,0,1,0,0.4,1.1"]


def test_importing_the_same_dump_twice_changes_nothing(dump, db_path):
    ok("import-stackexchange", dump)
    again = ok("import-stackexchange", dump)
    for kind in ("users", "posts", "reviews", "comments", "likes", "review_votes"):
        assert f"{kind}: " in again.stderr
    assert again.stderr.count("(0 added, 0 changed, 0 removed)") == 6
    assert "updated the scores of 0 of 4 users" in again.stderr
    assert ok("export", "--as-of", "2026-11-30").stdout == MINI_EXPORT
    assert run("recalc", "--check").exit_code == 0


def test_a_later_dump_drops_what_vanished(dump, db_path):
    ok("import-stackexchange", dump)
    votes = dump / "Votes.xml"
    votes.write_text("\n".join(line for line in votes.read_text(encoding="utf-8").splitlines()
                               if 'Id="100"' not in line and 'Id="103"' not in line) + "\n",
                     encoding="utf-8")
    comments = dump / "Comments.xml"
    comments.write_text(comments.read_text(encoding="utf-8").replace('Score="3"', 'Score="1"'),
                        encoding="utf-8")
    result = ok("import-stackexchange", dump)
    assert "likes: 7 (0 added, 0 changed, 3 removed)" in result.stderr
    assert "review_votes: 2 (0 added, 0 changed, 1 removed)" in result.stderr
    assert ok("export", "--as-of", "2026-11-30").stdout == (
        LISTING_HEADER + "\n"
        "1,1,user1,3.3,2,0,1,0.3,0\n"
        "2,3,user3,0.3,-1,0,1,0.3,0\n"
        "3,2,user2,-0.6,0,-1,0,0.4,0\n")
    assert run("recalc", "--check").exit_code == 0


@pytest.mark.parametrize("missing", ["Users.xml", "Posts.xml", "Votes.xml", "Comments.xml"])
def test_a_dump_without_one_of_its_files_exits_3(dump, db_path, missing):
    (dump / missing).unlink()
    result = run("import-stackexchange", dump)
    assert result.exit_code == 3
    assert result.stdout == ""
    assert f"{missing}: missing from" in result.stderr


def test_a_folder_that_does_not_exist_exits_3():
    result = run("import-stackexchange", "nowhere")
    assert result.exit_code == 3
    assert "nowhere: no such folder" in result.stderr


def test_a_broken_file_stores_nothing_of_the_dump(dump, db_path):
    ok("import-stackexchange", dump)
    before = ok("export").stdout
    comments = dump / "Comments.xml"
    comments.write_text(comments.read_text(encoding="utf-8").replace("</comments>", ""),
                        encoding="utf-8")
    (dump / "Users.xml").write_text((dump / "Users.xml").read_text(encoding="utf-8").replace(
        'DisplayName="Alice" />', 'DisplayName="Alicia" />', 1), encoding="utf-8")
    result = run("import-stackexchange", dump)
    assert result.exit_code == 3
    assert "Comments.xml" in result.stderr and "nothing of the dump was stored" in result.stderr
    assert ok("export").stdout == before
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT name FROM users WHERE id = 1").fetchone() == ("Alice",)
    conn.close()


def test_a_bad_value_names_file_row_attribute_and_value(dump):
    posts = dump / "Posts.xml"
    posts.write_text(posts.read_text(encoding="utf-8").replace(
        'CreationDate="2011-01-05T23:59:59.999"', 'CreationDate="soon"'), encoding="utf-8")
    result = run("import-stackexchange", dump)
    assert result.exit_code == 3
    assert "Posts.xml row 5: CreationDate 'soon'" in result.stderr
