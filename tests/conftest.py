"""Shared fixtures: an isolated working folder, a database path, small files, the CLI."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import pytest
from typer.testing import CliRunner

from scorekeeper.cli import app

REPO = Path(__file__).resolve().parents[1]

HEADERS = {
    "users": ("id", "username", "name", "created_at", "is_bot"),
    "posts": ("id", "user_id", "created_at"),
    "reviews": ("id", "user_id", "created_at"),
    "comments": ("id", "user_id", "created_at"),
    "likes": ("id", "user_id", "likeable_type", "likeable_id", "is_like", "created_at"),
    "review_votes": ("id", "user_id", "review_id", "vote_type", "created_at"),
}
LISTING_HEADER = (
    "rank,user_id,username,total_score,post_likes_score,review_votes_score,"
    "comment_likes_score,content_creation_score,monthly_increase"
)


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run every test in its own empty folder with no SCOREKEEPER_* variables, so a
    developer's own scorekeeper.toml, scorekeeper.db or environment never leaks in."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.upper().startswith("SCOREKEEPER_"):
            monkeypatch.delenv(name)
    return tmp_path


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Where the default database of a test lives (the CLI's default, in the test folder)."""
    return tmp_path / "scorekeeper.db"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def write_csv(path: Path | str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Path:
    """A small CSV file (UTF-8, `\\n` line ends) with `header` and `rows`; None is empty."""
    path = Path(path)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        # csv quotes a lone CR only where it is part of the line terminator: quote it here.
        quoted = csv.writer(handle, lineterminator="\n", quoting=csv.QUOTE_ALL)
        writer.writerow(header)
        for row in rows:
            cells = [_cell(value) for value in row]
            (quoted if any("\r" in cell for cell in cells) else writer).writerow(cells)
    return path


def write_kind(folder: Path | str, kind: str, rows: Iterable[Sequence[Any]],
               name: str | None = None) -> Path:
    """`<folder>/<kind>.csv` (or `name`) with the SPEC header of `kind`."""
    return write_csv(Path(folder) / (name or f"{kind}.csv"), HEADERS[kind], rows)


@pytest.fixture
def csv_file(tmp_path: Path):
    """`csv_file(kind, rows, name=None)` writes a kind's CSV into the test folder."""

    def make(kind: str, rows: Iterable[Sequence[Any]], name: str | None = None) -> Path:
        return write_kind(tmp_path, kind, rows, name)

    return make


@dataclass
class Ran:
    """What one CLI call gave: exit code, stdout and stderr apart."""

    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None = None


def run(*args: str | Path, input: str | None = None,
        env: Mapping[str, str] | None = None) -> Ran:
    """Invoke the CLI in-process through CliRunner (Click 8.2+ keeps stderr apart)."""
    result = CliRunner().invoke(app, [str(a) for a in args], input=input,
                                env=dict(env or {}), catch_exceptions=True)
    exception = result.exception
    if isinstance(exception, SystemExit):
        exception = None
    return Ran(result.exit_code, result.stdout, result.stderr, exception)


def run_process(*args: str | Path, input: str | None = None,
                env: Mapping[str, str] | None = None, cwd: Path | None = None,
                timeout: float = 60) -> Ran:
    """Run `python -m scorekeeper ARGS` in a subprocess: the real entry point."""
    full_env = {k: v for k, v in os.environ.items() if not k.upper().startswith("SCOREKEEPER_")}
    full_env.update(env or {})
    done = subprocess.run([sys.executable, "-m", "scorekeeper", *[str(a) for a in args]],
                          input=input, capture_output=True, text=True, encoding="utf-8",
                          env=full_env, cwd=cwd or Path.cwd(), timeout=timeout)
    return Ran(done.returncode, done.stdout, done.stderr)


def ok(*args: str | Path, input: str | None = None) -> Ran:
    """`run` that must exit 0 (shows stderr when it does not)."""
    result = run(*args, input=input)
    assert result.exception is None, result.exception
    assert result.exit_code == 0, result.stderr
    return result


# The worked example of SPEC.md, as files.
EXAMPLE = {
    "users": [
        (1, "ann", "Ann", "2026-01-01T00:00:00Z", None),
        (2, "bob", "Bob", "2026-01-01T00:00:00Z", None),
        (3, "admin", "Admin", "2026-01-01T00:00:00Z", None),
        (4, "cy", "Cy", "2026-01-01T00:00:00Z", None),
    ],
    "posts": [(10, 1, "2026-10-15T00:00:00Z"), (11, 2, "2026-11-30T23:59:59Z")],
    "reviews": [(20, 2, "2026-11-01T00:00:00Z")],
    "comments": [(30, 1, "2026-11-01T01:00:00+02:00")],
    "likes": [
        (1, 2, "post", 10, "true", "2026-11-05 00:00:00"),
        (2, 3, "App\\Models\\Post", 10, "false", "2026-11-05 00:00:00"),
        (3, 2, "comment", 30, "false", "2026-12-01T00:00:00Z"),
    ],
    "review_votes": [
        (1, 1, 20, "up", "2026-10-31T23:59:59Z"),
        (2, 3, 20, "down", "2026-11-15T00:00:00Z"),
    ],
}
EXAMPLE_EXPORT = (
    LISTING_HEADER + "\n"
    "1,1,ann,1.8,2,0,-0.5,0.3,2\n"
    "2,2,bob,1.5,0,1,0,0.5,-0.5\n"
    "3,4,cy,0,0,0,0,0,0\n"
)


def write_example(folder: Path) -> list[Path]:
    """The worked example's six files in `folder` (is_bot column left empty)."""
    return [write_kind(folder, kind, rows) for kind, rows in EXAMPLE.items()]


@pytest.fixture
def example_db(tmp_path: Path, db_path: Path) -> Path:
    """The worked example imported into the default database."""
    files = write_example(tmp_path)
    ok("import", *files)
    return db_path
