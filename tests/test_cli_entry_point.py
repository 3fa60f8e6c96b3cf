"""The real entry point (`python -m scorekeeper`) against the Typer app (CliRunner).

The entry point answers plain hook and report command lines on a quick path once the
database holds the validated settings; everything else goes to the Typer app. The same
command line must give the same exit code, stdout and stderr on either path.
"""

from __future__ import annotations

import sqlite3

import pytest

from conftest import ok, run, run_process, write_kind

COMMAND_LINES = [
    ["leaderboard"], ["leaderboard", "--limit=2", "--format", "json"],
    ["leaderboard", "--format", "table", "--excel-safe"],
    ["risers", "--as-of", "2026-11-30"], ["export", "--as-of", "2026-11-30", "--format", "table"],
    ["show", "ann", "--as-of", "2026-11-30"], ["show", "--username", "cy"], ["show", "nobody"],
    ["show", "3"], ["export", "--db", "scorekeeper.db", "--as-of", "2026-11-30",
                    "--as-of", "2026-12-31"],
]
BAD_USAGE = [
    ["leaderboard", "--limit", "-1"], ["export", "--format", "xml"], ["export", "--limit", "3"],
    ["show"], ["export", "--as-of", "20261130"], ["export", "--as-of", "2026-11-30T00:00"],
]


@pytest.fixture
def warm(example_db, tmp_path):
    """The worked example, with the settings cache filled by a hook call."""
    ok("hook", "user.created", "--id", "5", "--username", "dee", "--name", "Dee",
       "--created-at", "2026-01-01")
    conn = sqlite3.connect(example_db)
    keys = [key for (key,) in conn.execute("SELECT key FROM meta")]
    conn.close()
    if not any(key.startswith("settings_cache:") for key in keys):
        pytest.skip("this scorekeeper keeps no settings cache: there is no quick path")
    return example_db


@pytest.mark.parametrize("args", COMMAND_LINES, ids=" ".join)
def test_the_same_command_line_gives_the_same_output(warm, args):
    typer_path = run(*args)
    entry_point = run_process(*args)
    assert (entry_point.exit_code, entry_point.stdout, entry_point.stderr) == (
        typer_path.exit_code, typer_path.stdout, typer_path.stderr)


@pytest.mark.parametrize("args", BAD_USAGE, ids=" ".join)
def test_bad_usage_exits_2_on_either_path(warm, args):
    assert run(*args).exit_code == 2
    entry_point = run_process(*args)
    assert (entry_point.exit_code, entry_point.stdout) == (2, "")


def test_an_iso_week_date_is_bad_usage_on_the_quick_path_too(warm):
    assert run("export", "--as-of", "2026-W48-1").exit_code == 2
    assert run_process("export", "--as-of", "2026-W48-1").exit_code == 2


@pytest.mark.parametrize("limit", ["9223372036854775808", "99999999999999999999"])
def test_a_huge_limit_is_not_a_traceback(warm, limit):
    for result in (run("leaderboard", "--limit", limit), run_process("risers", "--limit", limit)):
        assert result.exit_code in (0, 2)
        assert "Traceback" not in result.stderr
        assert result.exception is None


def test_a_changed_setting_is_seen_by_the_next_report(warm, tmp_path):
    before = run_process("export", "--as-of", "2026-11-30")
    (tmp_path / "scorekeeper.toml").write_text('excluded_usernames = ["cy"]\n', encoding="utf-8")
    after = run_process("export", "--as-of", "2026-11-30")
    assert after.exit_code == 0
    assert "settings differ" in after.stderr
    assert after.stdout == before.stdout  # stored scores keep the old exclusions until recalc
    ok("recalc")
    assert ",cy," not in run_process("export").stdout
    assert ",admin," in run_process("export").stdout


def test_reports_through_the_entry_point_after_the_database_is_replaced(warm, tmp_path):
    warm.unlink()
    for suffix in ("-wal", "-shm"):
        (tmp_path / f"scorekeeper.db{suffix}").unlink(missing_ok=True)
    missing = run_process("export")
    assert missing.exit_code == 3
    assert "scorekeeper init" in missing.stderr
    write_kind(tmp_path, "users", [(7, "zed", "Zed", "2026-01-01", None)])
    ok("import", "users.csv")
    assert run_process("export").stdout.splitlines()[1:] == ["1,7,zed,0,0,0,0,0,0"]
