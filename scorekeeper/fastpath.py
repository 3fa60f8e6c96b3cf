"""A quick start for `scorekeeper hook`, which a site may call once per event.

Typer and pydantic-settings take about 200 ms to import and build; a hook call
must not pay that. So the console entry point looks at the command line first:
a plain `hook` call (global --db/--config, the event, its field options or
--json) runs here with only the standard library and scorekeeper's own light
modules. Everything else, including --help, any option this parser does not
know and any error in the command line, goes to the Typer app, which also
owns every message about usage.

Settings come from a cache in the database: the full path validates them
with pydantic-settings and stores the result under a key made of everything
they depend on (the config file's bytes, the SCOREKEEPER_* variables, the
--db flag). When the key matches, this path reuses them; when anything
changed, the call goes the full way once and refreshes the cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import sys
from pathlib import Path
from typing import Any

CACHE_PREFIX = "settings_cache:"
CACHE_ENTRIES = 8
DEFAULT_CONFIG = "scorekeeper.toml"
HOOK_FIELDS = ("id", "user_id", "username", "name", "created_at", "is_bot",
               "likeable_type", "likeable_id", "is_like", "review_id", "vote_type",
               "event_id")
_VALUE_OPTIONS = {f"--{field.replace('_', '-')}": field for field in HOOK_FIELDS}
_VALUE_OPTIONS.update({"--json": "json", "--db": "db", "--config": "config"})


def parse_hook_argv(argv: list[str]) -> dict[str, Any] | None:
    """The parts of a plain `hook` command line, or None for anything else."""
    found: dict[str, Any] = {}
    position = 0
    while position < len(argv) and argv[position] != "hook":
        option, value, position = _option(argv, position)
        if option not in ("db", "config"):
            return None
        found[option] = value
    if position >= len(argv):
        return None
    position += 1
    fields: dict[str, str] = {}
    while position < len(argv):
        token = argv[position]
        if token.startswith("--"):
            option, value, position = _option(argv, position)
            if option is None:
                return None
            if option in ("db", "config", "json"):
                found[option] = value
            else:
                fields[option] = value
        elif "event" not in found and not (token.startswith("-") and token != "-"):
            found["event"] = token
            position += 1
        else:
            return None
    if "event" not in found:
        return None
    found["fields"] = fields
    return found


def _option(argv: list[str], position: int) -> tuple[str | None, str | None, int]:
    token = argv[position]
    name, equals, value = token.partition("=")
    option = _VALUE_OPTIONS.get(name)
    if option is None:
        return None, None, position + 1
    if equals:
        return option, value, position + 1
    if position + 1 >= len(argv):
        return None, None, position + 1
    return option, argv[position + 1], position + 2


def settings_key(config: str | None, db: str | None) -> tuple[str, Path | None, bytes | None]:
    """The cache key of the settings, the config file used, and its bytes."""
    path = Path(config) if config else Path(DEFAULT_CONFIG)
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        if config:
            return "", path, None  # the full path reports the missing file
        path, content = None, b""
    except OSError:
        return "", path, None
    env = sorted((name, value) for name, value in os.environ.items()
                 if name.upper().startswith("SCOREKEEPER_"))
    material = json.dumps([str(path), content.hex(), env, db])
    return hashlib.sha256(material.encode()).hexdigest(), path, content


def _db_path(db: str | None, content: bytes) -> Path | None:
    """Where the database is, worked out the way the settings do (or None if unsure)."""
    if db:
        return Path(db)
    for name, value in os.environ.items():
        if name.upper() == "SCOREKEEPER_DB":
            return Path(value)
    if b"db" in content:
        import tomllib

        try:
            data = tomllib.loads(content.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            return None
        if "db" in data:
            return Path(data["db"]) if isinstance(data["db"], str) else None
    return Path("scorekeeper.db")


def store_settings(conn: sqlite3.Connection, key: str, settings, warnings: list[str]) -> None:
    """Remember validated settings under their key (caller holds a write transaction)."""
    value = json.dumps({
        "db": str(settings.db),
        "busy_timeout_seconds": settings.busy_timeout_seconds,
        "event_id_retention_days": settings.event_id_retention_days,
        "weights": settings.weights.milli(),
        "excluded_usernames": sorted(set(settings.excluded_usernames)),
        "warnings": warnings,
    })
    conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE"
                 " SET value = excluded.value", (CACHE_PREFIX + key, value))
    conn.execute(
        "DELETE FROM meta WHERE key LIKE ? AND rowid NOT IN"
        " (SELECT rowid FROM meta WHERE key LIKE ? ORDER BY rowid DESC LIMIT ?)",
        (CACHE_PREFIX + "%", CACHE_PREFIX + "%", CACHE_ENTRIES),
    )


def _cached_settings(parts: dict[str, Any]) -> tuple[dict, Path] | None:
    key, _, content = settings_key(parts.get("config"), parts.get("db"))
    if not key:
        return None
    db_path = _db_path(parts.get("db"), content)
    if db_path is None or not db_path.is_file():
        return None
    try:
        conn = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = ?",
                               (CACHE_PREFIX + key,)).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None  # not a scorekeeper database, or busy: the full path explains
    if row is None:
        return None
    cached = json.loads(row[0])
    if cached["db"] != str(db_path):
        return None
    return cached, db_path


def run_hook(parts: dict[str, Any]) -> int | None:
    """Run a plain hook call; None when it needs the full command line instead."""
    found = _cached_settings(parts)
    if found is None:
        return None
    cached, db_path = found
    from scorekeeper import hooks, render
    from scorekeeper.db import Database, translate
    from scorekeeper.errors import ScorekeeperError
    from scorekeeper.scoring import Scoring

    for text in cached["warnings"]:
        render.warning(text)
    scoring = Scoring(cached["weights"], tuple(cached["excluded_usernames"]))
    try:
        database = Database(db_path, cached["busy_timeout_seconds"], write=True)
        try:
            hooks.run_hook_command(database, scoring, parts["event"], parts["fields"],
                                   parts.get("json"), cached["event_id_retention_days"],
                                   sys.stdin, render.say)
        finally:
            database.close()
    except ScorekeeperError as exc:
        render.error(str(exc))
        return exc.exit_code
    except sqlite3.Error as exc:
        translated = translate(exc, db_path)
        if translated is exc:
            raise
        render.error(str(translated))
        return translated.exit_code
    return 0


def main() -> None:
    """The console entry point: the quick hook path, else the Typer app."""
    parts = parse_hook_argv(sys.argv[1:])
    if parts is not None:
        code = run_hook(parts)
        if code is not None:
            sys.exit(code)
    from scorekeeper.cli import app

    app()
