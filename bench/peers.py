"""The peers scorekeeper races: a naive per-user loop and DuckDB.

Run as processes by bench/run.py, so that they are timed like scorekeeper:

    python bench/peers.py naive-recalc DB SCORES.csv
    python bench/peers.py duckdb-import DATA_DIR PEER.duckdb
    python bench/peers.py duckdb-recalc PEER.duckdb
    python bench/peers.py duckdb-dump PEER.duckdb SCORES.csv

Both compute SPEC's scores with its default weights and exclusions. A scores
file has one row per listed (not excluded) user, ordered by ``user_id``:
``user_id,total,post_likes,review_votes,comment_likes,creation`` in exact
thousandths. ``digest`` turns such rows into a checksum that does not depend
on their order, so scorekeeper's export can be compared without sorting it.
"""

from __future__ import annotations

import csv
import hashlib
import sqlite3
import sys
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path

# SPEC's default weights, in thousandths
WEIGHTS = {
    "post_like": 3000, "post_dislike": -1000, "review_upvote": 2000,
    "review_downvote": -1000, "comment_like": 1000, "comment_dislike": -500,
    "post_created": 200, "review_created": 300, "comment_created": 100,
}
EXCLUDED_USERNAMES = ("reddit_bot", "posts_bot", "admin")
EXPORT_POINTS = ("total_score", "post_likes_score", "review_votes_score",
                 "comment_likes_score", "content_creation_score")
SCORE_HEADER = ("user_id", "total", "post_likes", "review_votes", "comment_likes",
                "creation")

# The naive way, as a first version is often written: for each user, one COUNT
# per weight, on scorekeeper's database and its indexes. (A JOIN instead of
# IN makes SQLite scan every post like per user, without ANALYZE statistics.)
NAIVE_USERS = "SELECT id, username, is_bot FROM users ORDER BY id"
NAIVE_COUNTS = {
    "post_created": "SELECT COUNT(*) FROM posts WHERE user_id = :user",
    "review_created": "SELECT COUNT(*) FROM reviews WHERE user_id = :user",
    "comment_created": "SELECT COUNT(*) FROM comments WHERE user_id = :user",
    **{f"{kind}_{name}": f"""
SELECT COUNT(*) FROM likes
WHERE likeable_type = '{kind}' AND is_like = {flag}
  AND likeable_id IN (SELECT id FROM {kind}s WHERE user_id = :user)"""
       for kind in ("post", "comment") for name, flag in (("like", 1), ("dislike", 0))},
    **{f"review_{vote}vote": f"""
SELECT COUNT(*) FROM review_votes
WHERE vote_type = '{vote}'
  AND review_id IN (SELECT id FROM reviews WHERE user_id = :user)"""
       for vote in ("up", "down")},
}
COMPONENT_WEIGHTS = {  # component -> the weights that add up to it
    "post_likes": ("post_like", "post_dislike"),
    "review_votes": ("review_upvote", "review_downvote"),
    "comment_likes": ("comment_like", "comment_dislike"),
    "creation": ("post_created", "review_created", "comment_created"),
}

# DuckDB reads the files as they are: types checked on the way in, likeable_type
# and the other texts normalised when scoring (SPEC: any case, `App\Models\Post`).
DUCKDB_COLUMNS = {
    "users": {"id": "BIGINT", "username": "VARCHAR", "name": "VARCHAR",
              "created_at": "TIMESTAMPTZ", "is_bot": "BOOLEAN"},
    "posts": {"id": "BIGINT", "user_id": "BIGINT", "created_at": "TIMESTAMPTZ"},
    "reviews": {"id": "BIGINT", "user_id": "BIGINT", "created_at": "TIMESTAMPTZ"},
    "comments": {"id": "BIGINT", "user_id": "BIGINT", "created_at": "TIMESTAMPTZ"},
    "likes": {"id": "BIGINT", "user_id": "BIGINT", "likeable_type": "VARCHAR",
              "likeable_id": "BIGINT", "is_like": "BOOLEAN", "created_at": "TIMESTAMPTZ"},
    "review_votes": {"id": "BIGINT", "user_id": "BIGINT", "review_id": "BIGINT",
                     "vote_type": "VARCHAR", "created_at": "TIMESTAMPTZ"},
}
DUCKDB_READ = ("CREATE TABLE {kind} AS SELECT * FROM read_csv(?, header = true, delim = ',',"
               " quote = '\"', escape = '\"', auto_detect = false, columns = {columns})")
DUCKDB_RECALC = """
CREATE OR REPLACE TABLE peer_scores AS
WITH typed_likes AS (
    SELECT lower(string_split(trim(likeable_type), '\\')[-1]) AS target, likeable_id, is_like
    FROM likes
),
post_likes AS (
    SELECT p.user_id, SUM(CASE WHEN l.is_like THEN {post_like} ELSE {post_dislike} END) AS points
    FROM typed_likes AS l
    JOIN posts AS p ON p.id = l.likeable_id
    WHERE l.target = 'post'
    GROUP BY p.user_id
),
comment_likes AS (
    SELECT c.user_id, SUM(CASE WHEN l.is_like THEN {comment_like} ELSE {comment_dislike} END) AS points
    FROM typed_likes AS l
    JOIN comments AS c ON c.id = l.likeable_id
    WHERE l.target = 'comment'
    GROUP BY c.user_id
),
votes AS (
    SELECT r.user_id,
           SUM(CASE WHEN lower(trim(v.vote_type)) = 'up' THEN {review_upvote} ELSE {review_downvote} END) AS points
    FROM review_votes AS v
    JOIN reviews AS r ON r.id = v.review_id
    GROUP BY r.user_id
),
creation AS (
    SELECT user_id, SUM(points) AS points
    FROM (SELECT user_id, {post_created} AS points FROM posts
          UNION ALL SELECT user_id, {review_created} FROM reviews
          UNION ALL SELECT user_id, {comment_created} FROM comments)
    GROUP BY user_id
)
SELECT u.id AS user_id,
       COALESCE(pl.points, 0) AS post_likes,
       COALESCE(v.points, 0) AS review_votes,
       COALESCE(cl.points, 0) AS comment_likes,
       COALESCE(cr.points, 0) AS creation,
       COALESCE(u.is_bot, false) OR u.username IN ({excluded}) AS excluded
FROM users AS u
LEFT JOIN post_likes AS pl ON pl.user_id = u.id
LEFT JOIN votes AS v ON v.user_id = u.id
LEFT JOIN comment_likes AS cl ON cl.user_id = u.id
LEFT JOIN creation AS cr ON cr.user_id = u.id
"""
DUCKDB_DUMP = """
SELECT user_id, post_likes + review_votes + comment_likes + creation,
       post_likes, review_votes, comment_likes, creation
FROM peer_scores
WHERE NOT excluded
ORDER BY user_id
"""


def digest(rows: Iterable[tuple[int, ...]]) -> tuple[int, str]:
    """(rows, checksum): a sum of per-row hashes, so row order does not matter."""
    count, total = 0, 0
    for row in rows:
        text = ",".join(map(str, row)).encode()
        total += int.from_bytes(hashlib.blake2b(text, digest_size=16).digest(), "big")
        count += 1
    return count, f"{total % (1 << 128):032x}"


def read_scores(path: Path) -> Iterator[tuple[int, ...]]:
    """The rows of a peer's scores file."""
    with open(path, newline="") as f:
        reader = csv.reader(f)
        next(reader)
        for fields in reader:
            yield tuple(int(value) for value in fields)


def _milli(text: str) -> int:
    exact = Decimal(text) * 1000
    if exact != exact.to_integral_value():
        raise ValueError(f"{text!r} is not a whole number of thousandths")
    return int(exact)


def read_export(path: Path) -> Iterator[tuple[int, ...]]:
    """scorekeeper's export (CSV) as scores rows."""
    with open(path, newline="", encoding="utf-8") as f:
        for record in csv.DictReader(f):
            yield (int(record["user_id"]),
                   *(_milli(record[column]) for column in EXPORT_POINTS))


def _write_scores(path: Path, rows: Iterable[tuple[int, ...]]) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(SCORE_HEADER)
        writer.writerows(rows)


def _naive_scores(conn: sqlite3.Connection) -> Iterator[tuple[int, ...]]:
    for user_id, username, is_bot in conn.execute(NAIVE_USERS).fetchall():
        points = {}
        for weight, query in NAIVE_COUNTS.items():
            (count,) = conn.execute(query, {"user": user_id}).fetchone()
            points[weight] = count * WEIGHTS[weight]
        if is_bot or username in EXCLUDED_USERNAMES:
            continue
        parts = [sum(points[weight] for weight in weights)
                 for weights in COMPONENT_WEIGHTS.values()]
        yield (user_id, sum(parts), *parts)


def naive_recalc(db: Path, out: Path) -> None:
    """Every user's scores by a Python loop over users, into a scores file."""
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        _write_scores(out, _naive_scores(conn))
    finally:
        conn.close()


def duckdb_import(data: Path, target: Path) -> None:
    """The six CSV files into tables of a new DuckDB database."""
    import duckdb

    target.unlink(missing_ok=True)
    with duckdb.connect(str(target)) as conn:
        for kind, columns in DUCKDB_COLUMNS.items():
            spec = "{" + ", ".join(f"'{name}': '{sql_type}'"
                                   for name, sql_type in columns.items()) + "}"
            conn.execute(DUCKDB_READ.format(kind=kind, columns=spec),
                         [str(data / f"{kind}.csv")])


def duckdb_recalc(target: Path) -> None:
    """Every user's scores from the loaded tables, into the table peer_scores."""
    import duckdb

    excluded = ", ".join(f"'{name}'" for name in EXCLUDED_USERNAMES)
    with duckdb.connect(str(target)) as conn:
        conn.execute(DUCKDB_RECALC.format(excluded=excluded, **WEIGHTS))


def duckdb_dump(target: Path, out: Path) -> None:
    """peer_scores as a scores file."""
    import duckdb

    def rows(cursor) -> Iterator[tuple[int, ...]]:
        while batch := cursor.fetchmany(10_000):
            yield from batch

    with duckdb.connect(str(target), read_only=True) as conn:
        _write_scores(out, rows(conn.execute(DUCKDB_DUMP)))


COMMANDS = {
    "naive-recalc": naive_recalc,
    "duckdb-import": duckdb_import,
    "duckdb-recalc": duckdb_recalc,
    "duckdb-dump": duckdb_dump,
}

if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](*map(Path, sys.argv[2:]))
