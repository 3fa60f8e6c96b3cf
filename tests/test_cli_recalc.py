"""`scorekeeper recalc` and `recalc --check`: drift found, fixed and reported."""

from __future__ import annotations

import sqlite3

from conftest import EXAMPLE_EXPORT, ok, run, run_process


def corrupt(db, sql: str) -> None:
    conn = sqlite3.connect(db)
    try:
        conn.execute(sql)
        conn.commit()
    finally:
        conn.close()


def test_check_finds_nothing_after_an_import(example_db):
    result = run("recalc", "--check")
    assert (result.exit_code, result.stdout) == (0, "")
    assert "would change 0" in result.stderr


def test_check_exits_1_on_drift_and_recalc_fixes_it(example_db):
    corrupt(example_db, "UPDATE user_scores SET total_score = total_score + 7000,"
                        " post_likes_score = post_likes_score + 7000 WHERE user_id = 1")
    check = run("recalc", "--check")
    assert (check.exit_code, check.stdout) == (1, "")
    assert "would change 1" in check.stderr and "drift 7 points" in check.stderr
    assert run("recalc", "--check").exit_code == 1  # the check wrote nothing
    fixed = run("recalc")
    assert (fixed.exit_code, fixed.stdout) == (0, "")
    assert "changed 1" in fixed.stderr and "drift 7 points" in fixed.stderr
    assert ok("export", "--as-of", "2026-11-30").stdout == EXAMPLE_EXPORT
    assert run("recalc", "--check").exit_code == 0


def test_recalc_twice_the_second_changes_nothing(example_db):
    corrupt(example_db, "DELETE FROM user_scores WHERE user_id = 2")
    assert "changed 1" in ok("recalc").stderr
    second = ok("recalc")
    assert "changed 0" in second.stderr and "drift 0 points" in second.stderr


def test_recalc_restores_a_missing_or_orphan_row(example_db):
    corrupt(example_db, "DELETE FROM user_scores WHERE user_id = 4")
    corrupt(example_db, "INSERT INTO user_scores (user_id, total_score, post_likes_score,"
                        " review_votes_score, comment_likes_score, content_creation_score,"
                        " excluded) VALUES (99, 5000, 5000, 0, 0, 0, 0)")
    assert run("recalc", "--check").exit_code == 1
    ok("recalc")
    assert run("recalc", "--check").exit_code == 0
    assert ok("export", "--as-of", "2026-11-30").stdout == EXAMPLE_EXPORT


def test_quiet_prints_nothing(example_db):
    result = ok("recalc", "--quiet")
    assert (result.stdout, result.stderr) == ("", "")


def test_check_exit_codes_through_the_entry_point(example_db):
    assert run_process("recalc", "--check").exit_code == 0
    corrupt(example_db, "UPDATE user_scores SET total_score = 0 WHERE user_id = 1")
    result = run_process("recalc", "--check")
    assert (result.exit_code, result.stdout) == (1, "")
    assert run_process("recalc").exit_code == 0
    assert run_process("recalc", "--check").exit_code == 0


def test_recalc_adopts_new_weights_and_says_so(example_db, tmp_path):
    (tmp_path / "scorekeeper.toml").write_text("[weights]\npost_like = 5\n", encoding="utf-8")
    check = run("recalc", "--check")
    assert check.exit_code == 1
    adopted = ok("recalc")
    assert "adopted the new weights" in adopted.stderr
    assert ok("export", "--as-of", "2026-11-30").stdout.splitlines()[1] == \
        "1,1,ann,3.8,4,0,-0.5,0.3,4"
    assert run("recalc", "--check").exit_code == 0


def test_check_on_a_missing_database_exits_3(db_path):
    result = run("recalc", "--check")
    assert result.exit_code == 3
    assert "scorekeeper init" in result.stderr
    assert not db_path.exists()


def test_recalc_on_a_missing_database_creates_it(db_path):
    result = run("recalc")
    assert result.exit_code == 0
    assert db_path.exists()
