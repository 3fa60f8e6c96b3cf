"""`scorekeeper init`: creates or upgrades the schema; safe to run again."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from conftest import ok, run, run_process


def tables(db) -> set[str]:
    conn = sqlite3.connect(db)
    try:
        return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()


def test_init_creates_the_schema_and_prints_nothing_on_stdout(db_path):
    result = run("init")
    assert (result.exit_code, result.stdout) == (0, "")
    assert "is ready" in result.stderr
    assert {"users", "posts", "reviews", "comments", "likes", "review_votes",
            "user_scores"} <= tables(db_path)


def test_init_twice_is_safe_and_keeps_the_data(example_db):
    before = ok("export", "--as-of", "2026-11-30").stdout
    ok("init")
    ok("init")
    assert ok("export", "--as-of", "2026-11-30").stdout == before
    assert run("recalc", "--check").exit_code == 0


def test_init_with_a_db_path(tmp_path):
    (tmp_path / "data").mkdir()
    ok("init", "--db", "data/scores.db")
    assert (tmp_path / "data" / "scores.db").exists()
    assert not (tmp_path / "scorekeeper.db").exists()


def test_init_on_a_file_that_is_not_a_database_exits_3(tmp_path):
    (tmp_path / "notes.db").write_text("these are my notes, not SQLite\n" * 100, encoding="utf-8")
    result = run("init", "--db", "notes.db")
    assert result.exit_code == 3
    assert result.stdout == ""
    assert "notes.db is not a usable scorekeeper database" in result.stderr
    assert (tmp_path / "notes.db").read_text(encoding="utf-8").startswith("these are my notes")


def test_a_database_from_a_newer_scorekeeper_is_refused_untouched(db_path):
    ok("init")
    conn = sqlite3.connect(db_path)
    conn.execute("INSERT INTO schema_migrations (version, name, applied_at)"
                 " VALUES (999, 'future', '2030-01-01')")
    conn.commit()
    conn.close()
    for args in (["init"], ["export"], ["leaderboard"]):
        result = run(*args)
        assert result.exit_code == 3, args
        assert "newer than this scorekeeper" in result.stderr


def test_init_in_a_folder_that_does_not_exist_exits_3(tmp_path):
    result = run_process("init", "--db", "missing/dir/scores.db")
    assert result.exit_code == 3
    assert "Error: " in result.stderr
    assert "Traceback" not in result.stderr


V1_DUMP = Path(__file__).resolve().parent / "data" / "scorekeeper-schema-v1.sql"


def test_a_database_from_an_earlier_scorekeeper_is_upgraded_in_place(db_path):
    conn = sqlite3.connect(db_path)
    conn.executescript(V1_DUMP.read_text(encoding="utf-8"))
    conn.close()
    upgraded = run("init")
    assert upgraded.exit_code == 0
    for args in (["recalc"], ["recalc", "--check"], ["export", "--as-of", "2026-11-30"]):
        result = run(*args)
        assert result.exception is None, (args, result.exception)
        assert result.exit_code == 0, (args, result.stderr)
    assert run("export", "--as-of", "2026-11-30").stdout.splitlines()[1] == \
        "1,1,ann,0.2,0,0,0,0.2,0.2"
