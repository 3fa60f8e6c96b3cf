"""Looking into a scorekeeper database from the outside, for the robustness tests.

Plain sqlite3 only: these helpers must keep working on a database that
scorekeeper itself refuses, and must not share scorekeeper's SQL.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import sys
from pathlib import Path

COMPONENTS = ("total_score", "post_likes_score", "review_votes_score",
              "comment_likes_score", "content_creation_score")


def dump(path: Path) -> dict[str, list[tuple]]:
    """Every table's rows, sorted: equal dumps mean an unchanged database.

    The quick start's cache of validated settings (meta keys ``settings_cache:*``)
    is left out: any command may refresh it, and it holds no data.
    """
    if not path.exists():
        return {}
    conn = _reader(path)
    try:
        tables = [name for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        found = {name: sorted(conn.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr)
                 for name in tables}
    finally:
        conn.close()
    if "meta" in found:
        found["meta"] = [row for row in found["meta"] if not row[0].startswith("settings_cache:")]
    return found


def _reader(path: Path) -> sqlite3.Connection:
    """A connection that leaves no -wal or -shm file behind where it could remove them
    (a read-only connection cannot checkpoint, so it leaves both)."""
    if os.access(path, os.W_OK) and os.access(path.parent, os.W_OK):
        return sqlite3.connect(path)
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def query(path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def count(path: Path, table: str) -> int:
    return query(path, f'SELECT COUNT(*) FROM "{table}"')[0][0]


def stored_scores(path: Path) -> dict[int, dict[str, int]]:
    """user_id -> the stored total and four components, in thousandths."""
    rows = query(path, f"SELECT user_id, {', '.join(COMPONENTS)} FROM user_scores")
    return {row[0]: dict(zip(COMPONENTS, row[1:])) for row in rows}


def integrity(path: Path) -> str:
    return query(path, "PRAGMA integrity_check")[0][0]


def scorekeeper_command() -> list[str]:
    """The installed console script (the real entry point, with its quick hook path)."""
    script = Path(sys.executable).with_name("scorekeeper")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    found = shutil.which("scorekeeper")
    return [found] if found else [sys.executable, "-m", "scorekeeper"]


def clean_env(**extra: str) -> dict[str, str]:
    """The test's environment without SCOREKEEPER_* variables, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("SCOREKEEPER_")}
    env.update(extra)
    return env
