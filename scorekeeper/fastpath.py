"""A quick start for `hook` calls and the reports (leaderboard, risers, show, export).

Typer and pydantic-settings take about 200 ms to import and build; a hook call,
which a site may make once per event, and a leaderboard behind a web page must
not pay that. So the console entry point looks at the command line first: a
plain hook or report command (global --db/--config, the command's arguments
and its usual options) runs here with only the standard library and
scorekeeper's own light modules. Everything else, including --help, any option
this parser does not know and any error in the command line, goes to the Typer
app, which owns every message about usage.

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
_GLOBAL = {"--db": "db", "--config": "config"}
_HOOK = {**_GLOBAL, "--json": "json",
         **{f"--{field.replace('_', '-')}": field for field in HOOK_FIELDS}}
_REPORT = {**_GLOBAL, "--as-of": "as_of", "--format": "format"}
_LISTING = {**_REPORT, "--limit": "limit"}
# command -> (options that take a value, flags, number of arguments)
_COMMANDS = {
    "hook": (_HOOK, {}, 1),
    "leaderboard": (_LISTING, {"--excel-safe": "excel"}, 0),
    "risers": (_LISTING, {"--excel-safe": "excel"}, 0),
    "export": (_REPORT, {"--excel-safe": "excel"}, 0),
    "show": (_REPORT, {"--excel-safe": "excel", "--username": "by_username"}, 1),
}


def parse_argv(argv: list[str]) -> dict[str, Any] | None:
    """The parts of a plain hook or report command line, or None for anything else."""
    found: dict[str, Any] = {"fields": {}, "arguments": []}
    position = 0
    while position < len(argv) and argv[position] not in _COMMANDS:
        option, value, position = _option(argv, position, _GLOBAL)
        if option is None:
            return None
        found[option] = value
    if position >= len(argv):
        return None
    found["command"] = argv[position]
    options, flags, arguments = _COMMANDS[argv[position]]
    position += 1
    while position < len(argv):
        token = argv[position]
        if token in flags:
            found[flags[token]] = True
            position += 1
        elif token.startswith("--"):
            option, value, position = _option(argv, position, options)
            if option is None:
                return None
            if option in HOOK_FIELDS:
                found["fields"][option] = value
            else:
                found[option] = value
        elif token.startswith("-") and token != "-":
            return None
        else:
            found["arguments"].append(token)
            position += 1
    if len(found["arguments"]) != arguments or not _valid_report_values(found):
        return None
    return found


def _valid_report_values(found: dict[str, Any]) -> bool:
    """Whether the values the reports take are well-formed (Typer explains otherwise)."""
    if "limit" in found:
        if not (found["limit"].isascii() and found["limit"].isdigit()):
            return False
        found["limit"] = int(found["limit"])
    if "format" in found and found["format"] not in ("table", "csv", "json"):
        return False
    if "as_of" in found:
        from datetime import date

        text = found["as_of"]
        try:
            if not (len(text) == 10 and text[4] == text[7] == "-"
                    and text.replace("-", "").isdigit()):
                return False  # YYYY-MM-DD only, as Typer takes it (not 2026-W48-1)
            found["as_of"] = date.fromisoformat(text)
        except ValueError:
            return False
    return True


def _option(argv: list[str], position: int,
            known: dict[str, str]) -> tuple[str | None, str | None, int]:
    token = argv[position]
    name, equals, value = token.partition("=")
    option = known.get(name)
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


def remember_settings(db_path: Path, key: str, settings, warnings: list[str]) -> None:
    """Cache validated settings under their key in the database, if it can be written now.

    A cache: on a read-only or busy database it is simply not written.
    """
    value = json.dumps({
        "db": str(settings.db),
        "busy_timeout_seconds": settings.busy_timeout_seconds,
        "event_id_retention_days": settings.event_id_retention_days,
        "weights": settings.weights.milli(),
        "excluded_usernames": sorted(set(settings.excluded_usernames)),
        "warnings": warnings,
    })
    try:
        conn = sqlite3.connect(db_path, timeout=0, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE"
                         " SET value = excluded.value", (CACHE_PREFIX + key, value))
            conn.execute(
                "DELETE FROM meta WHERE key LIKE ? AND rowid NOT IN"
                " (SELECT rowid FROM meta WHERE key LIKE ? ORDER BY rowid DESC LIMIT ?)",
                (CACHE_PREFIX + "%", CACHE_PREFIX + "%", CACHE_ENTRIES),
            )
            conn.execute("COMMIT")
        finally:
            conn.close()
    except sqlite3.Error:
        pass


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


def run(parts: dict[str, Any]) -> int | None:
    """Run a plain hook or report command; None when it needs the full CLI instead."""
    found = _cached_settings(parts)
    if found is None:
        return None
    cached, db_path = found
    from scorekeeper import render
    from scorekeeper.db import Database, translate
    from scorekeeper.errors import ScorekeeperError
    from scorekeeper.scoring import Scoring

    for text in cached["warnings"]:
        render.warning(text)
    scoring = Scoring(cached["weights"], tuple(cached["excluded_usernames"]))
    command = parts["command"]
    try:
        database = Database(db_path, cached["busy_timeout_seconds"], write=command == "hook")
        try:
            if command == "hook":
                from scorekeeper import hooks

                hooks.run_hook_command(database, scoring, parts["arguments"][0], parts["fields"],
                                       parts.get("json"), cached["event_id_retention_days"],
                                       sys.stdin, render.say)
            else:
                from scorekeeper import reports

                reports.run_report(
                    database, scoring, command, as_of=parts.get("as_of"),
                    fmt=parts.get("format"), excel=parts.get("excel", False),
                    limit=parts.get("limit"),
                    user=parts["arguments"][0] if parts["arguments"] else None,
                    by_username=parts.get("by_username", False))
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
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as other tools do.
        sys.stdout = open(os.devnull, "w")
        return 0
    return 0


def main() -> None:
    """The console entry point: the quick path when it applies, else the Typer app."""
    parts = parse_argv(sys.argv[1:])
    if parts is not None:
        code = run(parts)
        if code is not None:
            sys.exit(code)
    from scorekeeper.cli import app

    app()
