"""`scorekeeper export`: SPEC.md's worked example byte for byte, formats, --as-of,
--excel-safe, and the rules every listing shares."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone
from decimal import Decimal

import pytest

import reference as ref
from conftest import EXAMPLE_EXPORT, LISTING_HEADER, ok, run, run_process, write_kind


def test_the_worked_example_byte_for_byte(example_db):
    result = run("export", "--as-of", "2026-11-30")
    assert result.exit_code == 0
    assert result.stdout == EXAMPLE_EXPORT
    assert result.stderr == ""


def test_the_worked_example_through_the_entry_point(example_db):
    result = run_process("export", "--as-of", "2026-11-30")
    assert (result.exit_code, result.stdout, result.stderr) == (0, EXAMPLE_EXPORT, "")
    assert "\r" not in result.stdout


def test_the_worked_example_on_december_31st(example_db):
    result = ok("export", "--as-of", "2026-12-31")
    assert result.stdout == (LISTING_HEADER + "\n"
                             "1,1,ann,1.8,2,0,-0.5,0.3,0\n"
                             "2,2,bob,1.5,0,1,0,0.5,0\n"
                             "3,4,cy,0,0,0,0,0,0\n")


def test_export_defaults_to_csv_even_when_other_listings_would_not(example_db):
    assert ok("export", "--as-of", "2026-11-30").stdout == EXAMPLE_EXPORT


def test_export_as_json(example_db):
    result = ok("export", "--as-of", "2026-11-30", "--format", "json")
    data = ref.parse_json_listing(result.stdout)
    assert data == [
        {"rank": 1, "user_id": 1, "username": "ann", "total_score": Decimal("1.8"),
         "post_likes_score": 2, "review_votes_score": 0, "comment_likes_score": Decimal("-0.5"),
         "content_creation_score": Decimal("0.3"), "monthly_increase": 2},
        {"rank": 2, "user_id": 2, "username": "bob", "total_score": Decimal("1.5"),
         "post_likes_score": 0, "review_votes_score": 1, "comment_likes_score": 0,
         "content_creation_score": Decimal("0.5"), "monthly_increase": Decimal("-0.5")},
        {"rank": 3, "user_id": 4, "username": "cy", "total_score": 0, "post_likes_score": 0,
         "review_votes_score": 0, "comment_likes_score": 0, "content_creation_score": 0,
         "monthly_increase": 0},
    ]
    assert [list(row) for row in json.loads(result.stdout)] == [list(ref.COLUMNS)] * 3
    # numbers are JSON numbers, with no 3.0, -0 or exponents
    for token in ("3.0", "-0,", "e+", "E+", "e-"):
        assert token not in result.stdout


def test_export_as_a_plain_table_into_a_pipe(example_db):
    result = ok("export", "--as-of", "2026-11-30", "--format", "table")
    assert "\x1b" not in result.stdout
    lines = result.stdout.splitlines()
    assert len(lines) == 4
    assert lines[1].split() == ["1", "1", "ann", "1.8", "2", "0", "-0.5", "0.3", "2"]
    assert lines[3].split() == ["3", "4", "cy", "0", "0", "0", "0", "0", "0"]


def test_an_empty_export(db_path):
    ok("init")
    assert ok("export").stdout == LISTING_HEADER + "\n"
    assert ok("export", "--format", "json").stdout.strip() == "[]"


def test_export_has_no_limit(tmp_path):
    users = [(i, f"u{i}", "U", "2026-01-01", None) for i in range(1, 121)]
    write_kind(tmp_path, "users", users)
    ok("import", "users.csv")
    lines = ok("export").stdout.splitlines()
    assert len(lines) == 121
    assert lines[1] == "1,1,u1,0,0,0,0,0,0" and lines[-1] == "1,120,u120,0,0,0,0,0,0"


def test_the_as_of_date_changes_only_the_monthly_increase(example_db):
    for day in ("2026-10-31", "2026-11-15", "2026-11-30", "2026-12-01", "2027-06-01"):
        rows = list(csv.reader(io.StringIO(ok("export", "--as-of", day).stdout)))
        assert [row[:8] for row in rows] == [row[:8] for row in
                                             csv.reader(io.StringIO(EXAMPLE_EXPORT))]


def test_the_default_as_of_date_is_today_in_utc(example_db):
    today = datetime.now(timezone.utc).date().isoformat()
    assert ok("export").stdout == ok("export", "--as-of", today).stdout


@pytest.mark.parametrize("value", ["2026-13-01", "30/11/2026", "tomorrow", "2026-11-30T00:00"])
def test_a_bad_as_of_date_is_bad_usage(example_db, value):
    result = run("export", "--as-of", value)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "--as-of" in result.stderr


def test_excel_safe_neutralises_text_cells_only(tmp_path):
    names = ["=HYPERLINK(\"http://x\")", "+1", "-minus", "@at", "\tTab", "plain"]
    users = [(i, name, "N", "2026-01-01", None) for i, name in enumerate(names, 1)]
    write_kind(tmp_path, "users", users)
    write_kind(tmp_path, "comments", [(30, 3, "2026-11-01")])
    write_kind(tmp_path, "likes", [(1, 1, "comment", 30, 0, "2026-11-05")])
    ok("import", "users.csv", "comments.csv", "likes.csv")
    plain = list(csv.reader(io.StringIO(ok("export", "--as-of", "2026-11-30").stdout)))
    safe = list(csv.reader(io.StringIO(
        ok("export", "--as-of", "2026-11-30", "--excel-safe").stdout)))
    assert {row[2] for row in plain[1:]} == set(names)
    for row in safe[1:]:
        assert not row[2].startswith(("=", "+", "-", "@", "\t", "\r")), row
    for before, after in zip(plain[1:], safe[1:]):
        assert before[2] in after[2]  # the text is kept, after a neutralising prefix
    assert [row[2] for row in safe[1:] if row[2] == "plain"] == ["plain"]
    # numbers are never altered: -0.5 (and -0.4 for user 3) stays as it is
    assert [row[:2] + row[3:] for row in safe] == [row[:2] + row[3:] for row in plain]
    by_name = {row[2]: row for row in plain[1:]}
    assert by_name["-minus"][3] == "-0.4" and by_name["-minus"][6] == "-0.5"


@pytest.mark.parametrize("excel", [[], ["--excel-safe"]])
def test_a_username_with_a_carriage_return_stays_in_one_cell(tmp_path, excel):
    write_kind(tmp_path, "users", [(1, "\rCR", "N", "2026-01-01", None),
                                   (2, "a\rb", "N", "2026-01-01", None)])
    ok("import", "users.csv")
    rows = list(csv.reader(io.StringIO(ok("export", *excel).stdout, newline="")))
    assert len(rows) == 3
    assert rows[2][2] == "a\rb"
    assert rows[1][2].endswith("\rCR")


def test_without_excel_safe_formula_text_is_kept_verbatim(tmp_path):
    write_kind(tmp_path, "users", [(1, "=1+2", "N", "2026-01-01", None)])
    ok("import", "users.csv")
    rows = list(csv.reader(io.StringIO(ok("export").stdout)))
    assert rows[1][2] == "=1+2"


def test_read_commands_on_a_missing_database_exit_3_and_say_what_to_run(db_path):
    result = run("export")
    assert result.exit_code == 3
    assert result.stdout == ""
    assert "scorekeeper init" in result.stderr and "import" in result.stderr
    assert not db_path.exists()


def test_large_and_tiny_numbers_print_exactly_in_every_format(tmp_path):
    (tmp_path / "scorekeeper.toml").write_text(
        "[weights]\npost_like = 123456789.125\npost_created = 0.001\ncomment_dislike = -0.007\n",
        encoding="utf-8")
    write_kind(tmp_path, "users", [(1, "ann", "Ann", "2026-01-01", None),
                                   (2, "bob", "Bob", "2026-01-01", None)])
    write_kind(tmp_path, "posts", [(10, 1, "2026-11-01")])
    write_kind(tmp_path, "comments", [(30, 2, "2026-11-01")])
    write_kind(tmp_path, "likes", [(1, 2, "post", 10, 1, "2026-11-05"),
                                   (2, 2, "post", 10, 1, "2026-11-05"),
                                   (3, 1, "comment", 30, 0, "2026-11-05")])
    ok("import", "users.csv", "posts.csv", "comments.csv", "likes.csv")
    expected = [["1", "1", "ann", "246913578.251", "246913578.25", "0", "0", "0.001",
                 "246913578.251"],
                ["2", "2", "bob", "0.093", "0", "0", "-0.007", "0.1", "0.093"]]
    assert list(csv.reader(io.StringIO(ok("export", "--as-of", "2026-11-30").stdout)))[1:] \
        == expected
    data = ref.parse_json_listing(ok("export", "--as-of", "2026-11-30", "--format", "json").stdout)
    assert [[str(row[c]) for c in ref.COLUMNS] for row in data] == expected
    table = ok("export", "--as-of", "2026-11-30", "--format", "table").stdout
    assert [line.split() for line in table.splitlines()[1:]] == expected
