"""The database schema as ordered, numbered migrations.

Each step runs once, inside the caller's write transaction, and is recorded
in ``schema_migrations``; ``init`` is therefore safe to repeat, and a newer
scorekeeper upgrades an older database in place. A database that records a
step this version does not know was written by a newer scorekeeper and is
refused untouched.

Points are stored as exact integers in thousandths. Times are UTC text in one
fixed layout (see ``values.parse_timestamp``), so text order is time order.

Likes and review votes keep ``author_id``, the author of the item they target,
so that scoring aggregates one table without a join. Triggers keep it right
whichever way an item arrives, and cascade deletes to what hangs on an item or
a user. There are no foreign keys: a like may arrive before its post.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from scorekeeper.errors import DatabaseError

ITEM_TABLES = ("posts", "reviews", "comments")


def _m001_initial(conn: sqlite3.Connection) -> None:
    import sqlite_utils  # schema work only: kept off the hook's start-up path

    db = sqlite_utils.Database(conn)
    db["users"].create(
        {"id": int, "username": str, "name": str, "created_at": str, "is_bot": int},
        pk="id", not_null={"username", "is_bot"}, defaults={"is_bot": 0}, strict=True,
    )
    db["users"].create_index(["username"], unique=True)
    for table in ITEM_TABLES:
        db[table].create(
            {"id": int, "user_id": int, "created_at": str},
            pk="id", not_null={"created_at"}, strict=True,
        )
        db[table].create_index(["user_id"])
        db[table].create_index(["created_at"])
    db["likes"].create(
        {"id": int, "user_id": int, "likeable_type": str, "likeable_id": int,
         "is_like": int, "created_at": str, "author_id": int},
        pk="id", not_null={"likeable_type", "likeable_id", "is_like", "created_at"},
        strict=True,
    )
    db["likes"].create_index(["likeable_type", "likeable_id"])
    db["likes"].create_index(["author_id", "likeable_type", "is_like", "created_at"])
    db["likes"].create_index(["user_id"])
    db["likes"].create_index(["created_at"])
    db["review_votes"].create(
        {"id": int, "user_id": int, "review_id": int, "vote_type": str,
         "created_at": str, "author_id": int},
        pk="id", not_null={"review_id", "vote_type", "created_at"}, strict=True,
    )
    db["review_votes"].create_index(["review_id"])
    db["review_votes"].create_index(["author_id", "vote_type", "created_at"])
    db["review_votes"].create_index(["user_id"])
    db["review_votes"].create_index(["created_at"])
    db["user_scores"].create(
        {"user_id": int, "total_score": int, "post_likes_score": int,
         "review_votes_score": int, "comment_likes_score": int,
         "content_creation_score": int, "excluded": int, "calculated_at": str},
        pk="user_id",
        not_null={"total_score", "post_likes_score", "review_votes_score",
                  "comment_likes_score", "content_creation_score", "excluded"},
        strict=True,
    )
    conn.execute(
        "CREATE INDEX idx_user_scores_rank"
        " ON user_scores (excluded, total_score DESC, user_id)"
    )
    db["meta"].create({"key": str, "value": str}, pk="key", strict=True)
    db["seen_events"].create({"event_id": str, "seen_at": str}, pk="event_id", strict=True)
    db["seen_events"].create_index(["seen_at"])
    for statement in _TRIGGERS:
        conn.execute(statement)


_TRIGGERS = [
    # An item's author flows to the likes and votes on it, whenever it arrives or changes.
    """CREATE TRIGGER posts_author_in AFTER INSERT ON posts BEGIN
         UPDATE likes SET author_id = NEW.user_id
         WHERE likeable_type = 'post' AND likeable_id = NEW.id AND author_id IS NOT NEW.user_id;
       END""",
    """CREATE TRIGGER posts_author_up AFTER UPDATE OF user_id ON posts BEGIN
         UPDATE likes SET author_id = NEW.user_id
         WHERE likeable_type = 'post' AND likeable_id = NEW.id AND author_id IS NOT NEW.user_id;
       END""",
    """CREATE TRIGGER comments_author_in AFTER INSERT ON comments BEGIN
         UPDATE likes SET author_id = NEW.user_id
         WHERE likeable_type = 'comment' AND likeable_id = NEW.id AND author_id IS NOT NEW.user_id;
       END""",
    """CREATE TRIGGER comments_author_up AFTER UPDATE OF user_id ON comments BEGIN
         UPDATE likes SET author_id = NEW.user_id
         WHERE likeable_type = 'comment' AND likeable_id = NEW.id AND author_id IS NOT NEW.user_id;
       END""",
    """CREATE TRIGGER reviews_author_in AFTER INSERT ON reviews BEGIN
         UPDATE review_votes SET author_id = NEW.user_id
         WHERE review_id = NEW.id AND author_id IS NOT NEW.user_id;
       END""",
    """CREATE TRIGGER reviews_author_up AFTER UPDATE OF user_id ON reviews BEGIN
         UPDATE review_votes SET author_id = NEW.user_id
         WHERE review_id = NEW.id AND author_id IS NOT NEW.user_id;
       END""",
    # Deleting an item takes its likes or votes with it.
    """CREATE TRIGGER posts_cascade AFTER DELETE ON posts BEGIN
         DELETE FROM likes WHERE likeable_type = 'post' AND likeable_id = OLD.id;
       END""",
    """CREATE TRIGGER comments_cascade AFTER DELETE ON comments BEGIN
         DELETE FROM likes WHERE likeable_type = 'comment' AND likeable_id = OLD.id;
       END""",
    """CREATE TRIGGER reviews_cascade AFTER DELETE ON reviews BEGIN
         DELETE FROM review_votes WHERE review_id = OLD.id;
       END""",
    # Deleting a user takes her items (and what hangs on them) and what she cast.
    """CREATE TRIGGER users_cascade AFTER DELETE ON users BEGIN
         DELETE FROM posts WHERE user_id = OLD.id;
         DELETE FROM reviews WHERE user_id = OLD.id;
         DELETE FROM comments WHERE user_id = OLD.id;
         DELETE FROM likes WHERE user_id = OLD.id;
         DELETE FROM review_votes WHERE user_id = OLD.id;
         DELETE FROM user_scores WHERE user_id = OLD.id;
       END""",
]


def _m002_watch_ledger(conn: sqlite3.Connection) -> None:
    """The files `watch` has taken: one row per path, for the content last taken there.

    ``lines_done`` counts the event-batch lines applied so far; it is written in the
    same transaction as those lines, so a watcher killed mid-file resumes after them
    instead of applying them twice.
    """
    conn.execute("""
        CREATE TABLE watch_ledger (
            path TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('partial', 'done', 'failed')),
            reason TEXT,
            lines_done INTEGER,
            processed_at TEXT NOT NULL
        ) STRICT""")


def _m003_monthly_cache(conn: sqlite3.Connection) -> None:
    """A cached monthly increase beside each score, and indexes that cover scoring.

    ``monthly_increase`` holds the monthly increase for the as-of date in meta
    ``monthly_as_of`` (set by recalc, kept exact by hooks); listings for another
    date compute it live. The time and author indexes now carry every column
    scoring reads, so neither a recalculation nor a live monthly query reads
    table rows.
    """
    import sqlite_utils

    db = sqlite_utils.Database(conn)
    db["user_scores"].add_column("monthly_increase", int, not_null_default=0)
    conn.execute("CREATE INDEX idx_user_scores_monthly"
                 " ON user_scores (excluded, monthly_increase DESC, user_id)")
    for table in ITEM_TABLES:
        conn.execute(f"DROP INDEX idx_{table}_user_id")
        conn.execute(f"DROP INDEX idx_{table}_created_at")
        db[table].create_index(["user_id", "created_at"])
        db[table].create_index(["created_at", "user_id"])
    conn.execute("DROP INDEX idx_likes_created_at")
    db["likes"].create_index(["created_at", "author_id", "likeable_type", "is_like"])
    conn.execute("DROP INDEX idx_review_votes_created_at")
    db["review_votes"].create_index(["created_at", "author_id", "vote_type"])


MIGRATIONS: list[tuple[int, str, Callable[[sqlite3.Connection], None]]] = [
    (1, "initial", _m001_initial),
    (2, "watch_ledger", _m002_watch_ledger),
    (3, "monthly_cache", _m003_monthly_cache),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]


def schema_version(conn: sqlite3.Connection) -> int:
    """The newest migration this database records (0 for an empty database)."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
    ).fetchone()
    if not exists:
        return 0
    return conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()[0]


def check_version(conn: sqlite3.Connection, path: object) -> int:
    """The database's schema version; refuses one written by a newer scorekeeper."""
    version = schema_version(conn)
    if version > SCHEMA_VERSION:
        raise DatabaseError(
            f"database {path} has schema version {version}, newer than this scorekeeper "
            f"understands ({SCHEMA_VERSION}); upgrade scorekeeper, nothing was changed"
        )
    return version


def migrate(conn: sqlite3.Connection, path: object) -> list[str]:
    """Run the missing migrations; the caller holds a write transaction. Returns their names."""
    version = check_version(conn, path)
    if version == 0:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations"
            " (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT"
        )
    applied = []
    for number, name, step in MIGRATIONS:
        if number > version:
            step(conn)
            conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at)"
                " VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%S', 'now'))",
                (number, name),
            )
            applied.append(f"{number:03d}_{name}")
    return applied
