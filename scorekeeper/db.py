"""Opening the database, transactions, and SQLite's errors in the user's terms.

Every connection runs in autocommit mode with a busy timeout; writers take the
write lock up front with ``BEGIN IMMEDIATE`` (a deferred transaction that reads
and then writes fails at once on a busy database, busy timeout or not).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from scorekeeper import schema
from scorekeeper.errors import BusyError, DatabaseError


def _is_busy(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def translate(exc: sqlite3.Error, path: object) -> Exception:
    """The scorekeeper error for a SQLite error, or the error itself when it is a bug."""
    text = str(exc)
    if _is_busy(exc):
        return BusyError(
            f"database {path} stayed busy past the busy timeout ({text}); another "
            "scorekeeper is writing: try again later, or raise busy_timeout_seconds"
        )
    if "not a database" in text or "malformed" in text:
        return DatabaseError(
            f"{path} is not a usable scorekeeper database ({text}); "
            "point --db at the right file, or run scorekeeper init with a new path"
        )
    if "readonly" in text or "read-only" in text:
        return DatabaseError(
            f"database {path} cannot be written ({text}); check the permissions "
            "of the file and its folder (SQLite needs to create -wal and -shm files beside it)"
        )
    if "unable to open" in text:
        if isinstance(path, Path) and path.is_file() and not os.access(path.parent, os.W_OK):
            return DatabaseError(
                f"database {path} cannot be written: its folder {path.parent} is read-only "
                f"and SQLite needs to create {path.name}-wal and {path.name}-shm there; "
                "make the folder writable (reading commands work as they are)"
            )
        return DatabaseError(f"database {path} cannot be opened ({text}); check the path and permissions")
    if "disk is full" in text or "disk I/O" in text:
        return DatabaseError(f"database {path}: {text}; free disk space and run the command again, nothing was half-written")
    return exc


@contextmanager
def sqlite_errors(path: object) -> Iterator[None]:
    """Re-raise SQLite errors as scorekeeper errors where they are the user's to fix."""
    try:
        yield
    except sqlite3.Error as exc:
        translated = translate(exc, path)
        if translated is exc:
            raise
        raise translated from exc


def _connect_read_only(path: Path, busy_timeout_seconds: float) -> sqlite3.Connection:
    uri = path.resolve().as_uri()
    conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=busy_timeout_seconds,
                           isolation_level=None, check_same_thread=False)
    try:
        conn.execute("SELECT 1 FROM sqlite_master LIMIT 1")
        return conn
    except sqlite3.OperationalError:
        if os.access(path.parent, os.W_OK) or path.with_name(path.name + "-wal").exists():
            conn.close()
            raise
    # A WAL database in a read-only folder: SQLite cannot create the -shm file that
    # readers share. With no -wal file beside it the main file holds every commit,
    # so it can be read as immutable (see README, Limits).
    conn.close()
    return sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True, timeout=busy_timeout_seconds,
                           isolation_level=None, check_same_thread=False)


def _refuse_other_application(conn: sqlite3.Connection, path: Path) -> None:
    """A database with tables but no scorekeeper schema belongs to something else:
    adding tables to it (or failing half-way on a `users` of its own) would harm it."""
    conn.execute("BEGIN")  # one snapshot: another scorekeeper may be creating the schema
    try:
        if schema.schema_version(conn):
            return
        tables = [name for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
            " AND name NOT LIKE 'sqlite%' AND name <> 'schema_migrations' ORDER BY name")]
    finally:
        conn.execute("ROLLBACK")
    if tables:
        shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
        raise DatabaseError(
            f"{path} is an SQLite database of another application (tables: {shown}), "
            "not a scorekeeper database; nothing was changed: point --db at a scorekeeper "
            "database or at a new file"
        )


class Database:
    """One connection to a scorekeeper database."""

    def __init__(self, path: Path, busy_timeout_seconds: float, *, write: bool):
        self.path = path
        self.write = write
        if path.is_dir():
            raise DatabaseError(f"database {path} is a folder; point --db at a file, "
                                "e.g. --db scores.db")
        if not write and not path.exists():
            raise DatabaseError(
                f"database {path} does not exist; run `scorekeeper init` or "
                "`scorekeeper import FILE...` first, or point --db at your database"
            )
        with sqlite_errors(path):
            if write:
                self.conn = sqlite3.connect(path, timeout=busy_timeout_seconds,
                                            isolation_level=None, check_same_thread=False)
            else:
                self.conn = _connect_read_only(path, busy_timeout_seconds)
            self.conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_seconds * 1000)}")
            self.conn.execute("PRAGMA synchronous = NORMAL")
            # A larger page cache keeps index pages in memory during imports and streams;
            # the soft heap limit keeps SQLite's whole heap (cache and sorters) bounded
            # whatever the size of the data.
            self.conn.execute("PRAGMA cache_size = -32768")
            self.conn.execute("PRAGMA soft_heap_limit = 64000000")
            if write:
                # Checkpoint the WAL every ~40 MB rather than every 4 MB: a stream of
                # events then copies its hot pages back once per checkpoint, not per batch.
                self.conn.execute("PRAGMA wal_autocheckpoint = 10000")
                self.conn.execute("PRAGMA journal_size_limit = 67108864")
            version = schema.check_version(self.conn, path)
            if version == 0:
                _refuse_other_application(self.conn, path)
            if write:
                if self.conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    self.conn.execute("PRAGMA journal_mode = WAL")
                if version < schema.SCHEMA_VERSION:
                    with self.transaction():
                        schema.migrate(self.conn, path)
            elif version == 0:
                raise DatabaseError(
                    f"database {path} has no scorekeeper tables; run `scorekeeper init` "
                    "or `scorekeeper import FILE...` first"
                )

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self, *, keep: bool = True) -> Iterator[sqlite3.Connection]:
        """A write transaction: IMMEDIATE, committed on success (rolled back instead when
        not ``keep``, for a dry run), rolled back on any error."""
        with sqlite_errors(self.path):
            self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        try:
            with sqlite_errors(self.path):
                self.conn.execute("COMMIT" if keep else "ROLLBACK")
        finally:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: every query inside sees the same state."""
        with sqlite_errors(self.path):
            self.conn.execute("BEGIN")
        try:
            yield self.conn
        finally:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")


def get_meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def set_meta(conn: sqlite3.Connection, key: str, value: str | None) -> None:
    if value is None:
        conn.execute("DELETE FROM meta WHERE key = ?", (key,))
    else:
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
