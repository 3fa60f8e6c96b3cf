"""The read-only reports (leaderboard, risers, show, export), printed to stdout.

Shared by the Typer commands and the quick start path in ``fastpath.py``, so
that both print the same bytes and the same warnings.
"""

from __future__ import annotations

import sys
from datetime import date

from scorekeeper import ranking, render
from scorekeeper.db import Database
from scorekeeper.scoring import Scoring, is_stale, stored_scoring, today

REPORTS = ("leaderboard", "risers", "show", "export")
DEFAULT_LIMITS = {"leaderboard": 50, "risers": 20}


def resolve_format(fmt: str | None, report: str) -> str:
    """The format asked for, else table on a terminal and csv otherwise (export: csv)."""
    if fmt is not None:
        return fmt
    return "csv" if report == "export" or not sys.stdout.isatty() else "table"


def warn_if_outdated(database: Database, scoring: Scoring) -> None:
    if is_stale(database.conn):
        render.warning("scores are stale (an import ran with --no-recalc or stopped before its "
                       "closing recalculation); run `scorekeeper recalc`")
    stored = stored_scoring(database.conn)
    if stored is not None and stored != scoring:
        render.warning("the settings differ from those behind the stored scores, which "
                       "still use the old ones; run `scorekeeper recalc` to adopt them")


def print_one(standing: ranking.Standing, fmt: str, excel: bool) -> None:
    """One user: a breakdown table, or a one-row listing in CSV or JSON."""
    if fmt == "table":
        render.write_breakdown(standing, f"{standing.username} (user {standing.user_id})")
    else:
        render.write_rows([standing], fmt, "", excel=excel)


def run_report(database: Database, scoring: Scoring, report: str, *, as_of: date | None,
               fmt: str | None, excel: bool, limit: int | None = None,
               user: str | None = None, by_username: bool = False) -> None:
    """Print one report."""
    day = as_of or today()
    fmt = resolve_format(fmt, report)
    warn_if_outdated(database, scoring)
    with database.snapshot() as conn:
        if report == "show":
            user_id = ranking.find_user(conn, user, by_username=by_username)
            standing = ranking.show(conn, scoring, day, user_id)
        elif report == "export":
            # Streamed inside the snapshot: memory stays flat however many users.
            render.write_rows(ranking.export(conn, scoring, day), fmt, "Scores", excel=excel)
            return
        else:
            size = DEFAULT_LIMITS[report] if limit is None else limit
            query = ranking.leaderboard if report == "leaderboard" else ranking.risers
            rows = query(conn, scoring, day, size)
    if report == "show":
        print_one(standing, fmt, excel)
        return
    titles = {"leaderboard": "Leaderboard", "risers": f"Monthly risers to {day}"}
    render.write_rows(rows, fmt, titles[report], excel=excel)
