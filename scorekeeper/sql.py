"""Every query scorekeeper runs against the activity and score tables.

Values are always bound; the weights are bound by name (``:post_like`` ...,
in thousandths). Likes and votes are aggregated by ``author_id`` over indexes
that cover the grouping, so a full recalculation reads no table rows at all.
"""

# Points of one like or vote row, in thousandths.
LIKE_POINTS = """
CASE WHEN likeable_type = 'post'
     THEN CASE WHEN is_like THEN :post_like ELSE :post_dislike END
     ELSE CASE WHEN is_like THEN :comment_like ELSE :comment_dislike END
END"""
VOTE_POINTS = "CASE WHEN vote_type = 'up' THEN :review_upvote ELSE :review_downvote END"

# Every user's four components from scratch, the monthly increase for the
# window [:start, :end), and the exclusion flag: one pass over covering indexes.
IN_WINDOW = "COUNT(CASE WHEN created_at >= :start AND created_at < :end THEN 1 END)"
RECALC_SCORES = f"""
WITH like_groups AS (
    SELECT author_id, likeable_type, is_like, COUNT(*) AS n, {IN_WINDOW} AS m
    FROM likes
    WHERE author_id IS NOT NULL
    GROUP BY author_id, likeable_type, is_like
),
vote_groups AS (
    SELECT author_id, vote_type, COUNT(*) AS n, {IN_WINDOW} AS m
    FROM review_votes
    WHERE author_id IS NOT NULL
    GROUP BY author_id, vote_type
),
parts (user_id, post_likes, review_votes, comment_likes, creation, monthly) AS (
    SELECT author_id,
           SUM(CASE WHEN likeable_type = 'post' THEN n * {LIKE_POINTS} ELSE 0 END),
           0,
           SUM(CASE WHEN likeable_type = 'comment' THEN n * {LIKE_POINTS} ELSE 0 END),
           0,
           SUM(m * {LIKE_POINTS})
    FROM like_groups
    GROUP BY author_id
    UNION ALL
    SELECT author_id, 0, SUM(n * {VOTE_POINTS}), 0, 0, SUM(m * {VOTE_POINTS})
    FROM vote_groups
    GROUP BY author_id
    UNION ALL
    SELECT user_id, 0, 0, 0, COUNT(*) * :post_created, {IN_WINDOW} * :post_created
    FROM posts WHERE user_id IS NOT NULL GROUP BY user_id
    UNION ALL
    SELECT user_id, 0, 0, 0, COUNT(*) * :review_created, {IN_WINDOW} * :review_created
    FROM reviews WHERE user_id IS NOT NULL GROUP BY user_id
    UNION ALL
    SELECT user_id, 0, 0, 0, COUNT(*) * :comment_created, {IN_WINDOW} * :comment_created
    FROM comments WHERE user_id IS NOT NULL GROUP BY user_id
),
per_user AS (
    SELECT user_id,
           SUM(post_likes) AS post_likes,
           SUM(review_votes) AS review_votes,
           SUM(comment_likes) AS comment_likes,
           SUM(creation) AS creation,
           SUM(monthly) AS monthly
    FROM parts
    GROUP BY user_id
)
SELECT u.id,
       COALESCE(p.post_likes, 0) + COALESCE(p.review_votes, 0)
         + COALESCE(p.comment_likes, 0) + COALESCE(p.creation, 0),
       COALESCE(p.post_likes, 0),
       COALESCE(p.review_votes, 0),
       COALESCE(p.comment_likes, 0),
       COALESCE(p.creation, 0),
       (u.is_bot OR u.username IN (SELECT value FROM json_each(:excluded_usernames))),
       COALESCE(p.monthly, 0)
FROM users AS u
LEFT JOIN per_user AS p ON p.user_id = u.id
"""

CREATE_CALC_TABLE = """
CREATE TEMP TABLE IF NOT EXISTS calc (
    user_id INTEGER PRIMARY KEY,
    total_score INTEGER NOT NULL,
    post_likes_score INTEGER NOT NULL,
    review_votes_score INTEGER NOT NULL,
    comment_likes_score INTEGER NOT NULL,
    content_creation_score INTEGER NOT NULL,
    excluded INTEGER NOT NULL,
    monthly_increase INTEGER NOT NULL DEFAULT 0
)"""

FILL_CALC_TABLE = f"""
INSERT INTO temp.calc (user_id, total_score, post_likes_score, review_votes_score,
                       comment_likes_score, content_creation_score, excluded, monthly_increase)
{RECALC_SCORES}"""

# Users whose stored row differs from the calculation, or who have no row, or
# whose row outlived them: (changed users, sum of |total difference|).
DRIFT = """
WITH diffs AS (
    SELECT c.total_score - COALESCE(s.total_score, 0) AS delta
    FROM temp.calc AS c
    LEFT JOIN user_scores AS s ON s.user_id = c.user_id
    WHERE s.user_id IS NULL
       OR s.total_score <> c.total_score
       OR s.post_likes_score <> c.post_likes_score
       OR s.review_votes_score <> c.review_votes_score
       OR s.comment_likes_score <> c.comment_likes_score
       OR s.content_creation_score <> c.content_creation_score
       OR s.excluded <> c.excluded
    UNION ALL
    SELECT -s.total_score
    FROM user_scores AS s
    WHERE s.user_id NOT IN (SELECT user_id FROM temp.calc)
)
SELECT COUNT(*), COALESCE(SUM(ABS(delta)), 0) FROM diffs
"""

# The upsert of one user_scores row, shared by the batch and the one-user paths.
SET_SCORE = """ON CONFLICT (user_id) DO UPDATE SET
    total_score = excluded.total_score,
    post_likes_score = excluded.post_likes_score,
    review_votes_score = excluded.review_votes_score,
    comment_likes_score = excluded.comment_likes_score,
    content_creation_score = excluded.content_creation_score,
    monthly_increase = excluded.monthly_increase,
    excluded = excluded.excluded,
    calculated_at = excluded.calculated_at"""

# Changed users only: a recalc that finds nothing to fix writes nothing.
WRITE_CALC = f"""
INSERT INTO user_scores (user_id, total_score, post_likes_score, review_votes_score,
                         comment_likes_score, content_creation_score, monthly_increase,
                         excluded, calculated_at)
SELECT user_id, total_score, post_likes_score, review_votes_score,
       comment_likes_score, content_creation_score, monthly_increase, excluded, :now
FROM temp.calc
WHERE true
{SET_SCORE}
WHERE user_scores.total_score <> excluded.total_score
   OR user_scores.post_likes_score <> excluded.post_likes_score
   OR user_scores.review_votes_score <> excluded.review_votes_score
   OR user_scores.comment_likes_score <> excluded.comment_likes_score
   OR user_scores.content_creation_score <> excluded.content_creation_score
   OR user_scores.monthly_increase <> excluded.monthly_increase
   OR user_scores.excluded <> excluded.excluded
"""

DELETE_ORPHAN_SCORES = """
DELETE FROM user_scores
WHERE user_id NOT IN (SELECT user_id FROM temp.calc)
"""

# One user's components from scratch (same arithmetic as RECALC_SCORES).
USER_SCORE = f"""
SELECT
    (SELECT COALESCE(SUM(CASE WHEN likeable_type = 'post' THEN {LIKE_POINTS} ELSE 0 END), 0)
     FROM likes WHERE author_id = :user_id),
    (SELECT COALESCE(SUM({VOTE_POINTS}), 0)
     FROM review_votes WHERE author_id = :user_id),
    (SELECT COALESCE(SUM(CASE WHEN likeable_type = 'comment' THEN {LIKE_POINTS} ELSE 0 END), 0)
     FROM likes WHERE author_id = :user_id),
    (SELECT COUNT(*) * :post_created FROM posts WHERE user_id = :user_id)
      + (SELECT COUNT(*) * :review_created FROM reviews WHERE user_id = :user_id)
      + (SELECT COUNT(*) * :comment_created FROM comments WHERE user_id = :user_id)
"""

UPSERT_USER_SCORE = f"""
INSERT INTO user_scores (user_id, total_score, post_likes_score, review_votes_score,
                         comment_likes_score, content_creation_score, monthly_increase,
                         excluded, calculated_at)
VALUES (:user_id, :total_score, :post_likes_score, :review_votes_score,
        :comment_likes_score, :content_creation_score, :monthly_increase, :excluded, :now)
{SET_SCORE}
"""

# Add a delta to one user's stored components (a no-op for unknown users).
ADD_TO_SCORE = """
UPDATE user_scores SET
    post_likes_score = post_likes_score + :post_likes,
    review_votes_score = review_votes_score + :review_votes,
    comment_likes_score = comment_likes_score + :comment_likes,
    content_creation_score = content_creation_score + :creation,
    total_score = total_score + :post_likes + :review_votes + :comment_likes + :creation,
    monthly_increase = monthly_increase + :monthly,
    calculated_at = :now
WHERE user_id = :user_id
"""

# Net points of activity dated in [:start, :end), per user, for everybody.
MONTHLY_ALL = f"""
WITH points (user_id, pts) AS (
    SELECT author_id, {LIKE_POINTS}
    FROM likes
    WHERE created_at >= :start AND created_at < :end AND author_id IS NOT NULL
    UNION ALL
    SELECT author_id, {VOTE_POINTS}
    FROM review_votes
    WHERE created_at >= :start AND created_at < :end AND author_id IS NOT NULL
    UNION ALL
    SELECT user_id, :post_created FROM posts
    WHERE created_at >= :start AND created_at < :end AND user_id IS NOT NULL
    UNION ALL
    SELECT user_id, :review_created FROM reviews
    WHERE created_at >= :start AND created_at < :end AND user_id IS NOT NULL
    UNION ALL
    SELECT user_id, :comment_created FROM comments
    WHERE created_at >= :start AND created_at < :end AND user_id IS NOT NULL
)
SELECT user_id, SUM(pts) AS monthly_increase
FROM points
GROUP BY user_id
"""

# The same for one user (`s.user_id` of the enclosing query), by the author indexes.
MONTHLY_ONE = f"""(
    (SELECT COALESCE(SUM({LIKE_POINTS}), 0) FROM likes
     WHERE author_id = s.user_id AND created_at >= :start AND created_at < :end)
  + (SELECT COALESCE(SUM({VOTE_POINTS}), 0) FROM review_votes
     WHERE author_id = s.user_id AND created_at >= :start AND created_at < :end)
  + (SELECT COUNT(*) * :post_created FROM posts
     WHERE user_id = s.user_id AND created_at >= :start AND created_at < :end)
  + (SELECT COUNT(*) * :review_created FROM reviews
     WHERE user_id = s.user_id AND created_at >= :start AND created_at < :end)
  + (SELECT COUNT(*) * :comment_created FROM comments
     WHERE user_id = s.user_id AND created_at >= :start AND created_at < :end)
)"""

# One user's monthly increase (the user is :user_id).
USER_MONTHLY = "SELECT " + MONTHLY_ONE.replace("s.user_id", ":user_id")

SCORE_COLUMNS = """s.user_id, u.username, s.total_score, s.post_likes_score,
       s.review_votes_score, s.comment_likes_score, s.content_creation_score"""

def _standings(monthly: str, condition: str) -> str:
    """Listed users matching ``condition``, ranked by counting who is ahead (an index range)."""
    return f"""
SELECT (SELECT COUNT(*) FROM user_scores AS a
        WHERE a.excluded = 0 AND a.total_score > s.total_score) + 1 AS rank,
       {SCORE_COLUMNS},
       {monthly} AS monthly_increase
FROM user_scores AS s
JOIN users AS u ON u.id = s.user_id
WHERE s.excluded = 0 {condition}
"""


# The top :limit listed users, and one listed user.
def _leaderboard(monthly: str) -> str:
    return _standings(monthly, "ORDER BY s.total_score DESC, s.user_id LIMIT :limit")


def _show_user(monthly: str) -> str:
    return _standings(monthly, "AND s.user_id = :user_id")


# With the as-of date of the cached monthly increase, every listing reads the cache.
CACHED = "s.monthly_increase"
LEADERBOARD = _leaderboard(MONTHLY_ONE)
LEADERBOARD_CACHED = _leaderboard(CACHED)
SHOW_USER = _show_user(MONTHLY_ONE)
SHOW_USER_CACHED = _show_user(CACHED)

# Every listed user with rank (a window function) and monthly increase.
EXPORT = f"""
WITH monthly AS ({MONTHLY_ALL})
SELECT RANK() OVER (ORDER BY s.total_score DESC) AS rank,
       {SCORE_COLUMNS},
       COALESCE(m.monthly_increase, 0) AS monthly_increase
FROM user_scores AS s
JOIN users AS u ON u.id = s.user_id
LEFT JOIN monthly AS m ON m.user_id = s.user_id
WHERE s.excluded = 0
ORDER BY s.total_score DESC, s.user_id
"""

# Listed users whose monthly increase is above zero, ranked by it.
RISERS = f"""
WITH monthly AS ({MONTHLY_ALL})
SELECT RANK() OVER (ORDER BY m.monthly_increase DESC) AS rank,
       {SCORE_COLUMNS},
       m.monthly_increase
FROM monthly AS m
JOIN user_scores AS s ON s.user_id = m.user_id
JOIN users AS u ON u.id = s.user_id
WHERE s.excluded = 0 AND m.monthly_increase > 0
ORDER BY m.monthly_increase DESC, s.user_id
LIMIT :limit
"""

EXPORT_CACHED = f"""
SELECT RANK() OVER (ORDER BY s.total_score DESC) AS rank,
       {SCORE_COLUMNS},
       s.monthly_increase
FROM user_scores AS s
JOIN users AS u ON u.id = s.user_id
WHERE s.excluded = 0
ORDER BY s.total_score DESC, s.user_id
"""

RISERS_CACHED = f"""
SELECT (SELECT COUNT(*) FROM user_scores AS a
        WHERE a.excluded = 0 AND a.monthly_increase > s.monthly_increase) + 1 AS rank,
       {SCORE_COLUMNS},
       s.monthly_increase
FROM user_scores AS s
JOIN users AS u ON u.id = s.user_id
WHERE s.excluded = 0 AND s.monthly_increase > 0
ORDER BY s.monthly_increase DESC, s.user_id
LIMIT :limit
"""

FIND_USER_BY_NAME = "SELECT id FROM users WHERE username = ?"

# The watch ledger: the content last taken under one path, and how that went.
LEDGER_ENTRY = """
SELECT size, sha256, status, reason, lines_done
FROM watch_ledger
WHERE path = ?
"""

RECORD_IN_LEDGER = """
INSERT INTO watch_ledger (path, size, sha256, status, reason, lines_done, processed_at)
VALUES (:path, :size, :sha256, :status, :reason, :lines_done, :now)
ON CONFLICT (path) DO UPDATE SET
    size = excluded.size,
    sha256 = excluded.sha256,
    status = excluded.status,
    reason = excluded.reason,
    lines_done = excluded.lines_done,
    processed_at = excluded.processed_at
"""
