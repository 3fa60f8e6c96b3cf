"""What every command shares: --version, --help, usage errors, read commands on a
missing database, and exit codes through the real entry point (FIELD-CASES 11)."""

from __future__ import annotations

import pytest
import typer.main

import scorekeeper
from conftest import ok, run, run_process, write_kind
from scorekeeper.cli import app

COMMANDS = ["init", "import", "import-stackexchange", "recalc", "calculate", "hook",
            "leaderboard", "risers", "show", "export", "config"]
READ_COMMANDS = [["leaderboard"], ["risers"], ["show", "ann"], ["export"],
                 ["recalc", "--check"]]


def test_version():
    result = run("--version")
    assert (result.exit_code, result.stdout, result.stderr) == (
        0, f"scorekeeper {scorekeeper.__version__}\n", "")
    process = run_process("--version")
    assert (process.exit_code, process.stdout) == (0, f"scorekeeper {scorekeeper.__version__}\n")


def test_every_spec_command_exists():
    names = set(typer.main.get_command(app).commands)
    assert set(COMMANDS) <= names


@pytest.mark.parametrize("command", sorted(typer.main.get_command(app).commands))
def test_every_command_has_help_text(command):
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "Usage:" in result.stdout
    help_text = typer.main.get_command(app).commands[command].help or ""
    assert help_text.strip(), f"{command} has no help text"
    assert help_text.strip().splitlines()[0] in " ".join(result.stdout.split())


def test_top_level_help_lists_the_commands():
    result = run("--help")
    assert result.exit_code == 0
    for command in COMMANDS:
        assert command in result.stdout


@pytest.mark.parametrize("args", [["frobnicate"], ["export", "--nope"], ["show"],
                                  ["export", "--format", "xml"], ["import"]])
def test_bad_usage_exits_2_with_nothing_on_stdout(args):
    result = run(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr


@pytest.mark.parametrize("args", READ_COMMANDS)
def test_read_commands_on_a_missing_database_exit_3_and_create_nothing(db_path, args):
    result = run(*args)
    assert result.exit_code == 3
    assert result.stdout == ""
    assert "does not exist; run `scorekeeper init` or `scorekeeper import FILE...`" \
        in result.stderr
    assert not db_path.exists()


@pytest.mark.parametrize("args", READ_COMMANDS)
def test_read_commands_on_an_empty_file_exit_3(tmp_path, args):
    (tmp_path / "scorekeeper.db").write_bytes(b"")
    result = run(*args)
    assert result.exit_code == 3
    assert "scorekeeper init" in result.stderr


def test_exit_codes_through_the_real_entry_point(tmp_path):
    """0 done, 1 drift, 2 usage, 3 data; an error is never swallowed into 0."""
    write_kind(tmp_path, "users", [(1, "ann", "Ann", "2026-01-01", None)])
    write_kind(tmp_path, "posts", [(10, 1, "not a time")])
    assert run_process("export").exit_code == 3  # no database yet
    done = run_process("import", "users.csv")
    assert (done.exit_code, done.stdout) == (0, "")
    bad = run_process("import", "posts.csv")
    assert bad.exit_code == 3
    assert "Error: posts.csv line 2: column created_at: value 'not a time'" in bad.stderr
    assert "Traceback" not in bad.stderr
    assert run_process("export", "--format", "xml").exit_code == 2
    assert run_process("frobnicate").exit_code == 2
    assert run_process("show", "nobody").exit_code == 3
    assert run_process("import", "--no-recalc", "users.csv").exit_code == 0
    assert run_process("recalc", "--check").exit_code == 1
    assert run_process("recalc").exit_code == 0
    assert run_process("recalc", "--check").exit_code == 0


def test_stdout_is_empty_for_commands_that_print_no_data(tmp_path):
    write_kind(tmp_path, "users", [(1, "ann", "Ann", "2026-01-01", None)])
    for args in (["init"], ["import", "users.csv"], ["recalc"], ["recalc", "--check"],
                 ["hook", "post.created", "--id", "1", "--user-id", "1",
                  "--created-at", "2026-11-01"]):
        assert ok(*args).stdout == "", args
