"""`recalc` under cron: one plain summary line, --quiet, overlapping runs, exit codes."""

from __future__ import annotations

import os
import pty
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import run_process

SUMMARY = re.compile(r"recalc: [\d,]+ users, changed [\d,]+, drift [\d.-]+ points, \d+\.\d\d s\n")
BUSY = {"SCOREKEEPER_BUSY_TIMEOUT_SECONDS": "0.5"}


@pytest.fixture
def writer(example_db: Path):
    """Another process holding the database's write lock, as a long recalc does."""
    conn = sqlite3.connect(example_db, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    yield conn
    conn.execute("ROLLBACK")
    conn.close()


def test_in_a_pipe_recalc_prints_one_plain_summary_line(example_db: Path) -> None:
    result = run_process("recalc")
    assert result.exit_code == 0 and result.stdout == ""
    assert SUMMARY.fullmatch(result.stderr), result.stderr
    assert "\x1b" not in result.stderr


def test_a_recalc_overlapping_a_writer_waits_then_exits_4(writer) -> None:
    started = time.monotonic()
    result = run_process("recalc", "--quiet", env=BUSY)
    assert result.exit_code == 4
    assert time.monotonic() - started >= 0.5
    assert result.stderr.startswith("Error: database scorekeeper.db stayed busy past the busy timeout")
    assert "raise busy_timeout_seconds" in result.stderr


def test_check_reads_while_another_process_writes(writer) -> None:
    result = run_process("recalc", "--check", env=BUSY)
    assert result.exit_code == 0, result.stderr


def test_overlapping_recalcs_take_turns(example_db: Path) -> None:
    runs = [subprocess.Popen([sys.executable, "-m", "scorekeeper", "recalc"],
                             stderr=subprocess.PIPE, text=True) for _ in range(3)]
    for process in runs:
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 0 and SUMMARY.fullmatch(stderr), stderr
    assert run_process("recalc", "--check").exit_code == 0


def _on_a_terminal(*args: str) -> bytes:
    leader, follower = pty.openpty()
    done = subprocess.run([sys.executable, "-m", "scorekeeper", *args],
                          stdin=follower, stdout=follower, stderr=follower, timeout=60)
    os.close(follower)
    seen = b""
    try:
        while chunk := os.read(leader, 4096):
            seen += chunk
    except OSError:  # the terminal closed
        pass
    os.close(leader)
    assert done.returncode == 0, seen
    return seen


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_quiet_draws_nothing_even_on_a_terminal(example_db: Path) -> None:
    assert _on_a_terminal("recalc", "--quiet") == b""
