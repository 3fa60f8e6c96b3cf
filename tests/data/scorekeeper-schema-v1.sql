-- A scorekeeper database of schema version 1 as scorekeeper wrote it at commit ff4b8fd
-- (before user_scores.monthly_increase): ann (1) with post 10; made by iterdump.
BEGIN TRANSACTION;
CREATE TABLE "comments" (
   "id" INTEGER PRIMARY KEY,
   "user_id" INTEGER,
   "created_at" TEXT NOT NULL
) STRICT;
CREATE TABLE "likes" (
   "id" INTEGER PRIMARY KEY,
   "user_id" INTEGER,
   "likeable_type" TEXT NOT NULL,
   "likeable_id" INTEGER NOT NULL,
   "is_like" INTEGER NOT NULL,
   "created_at" TEXT NOT NULL,
   "author_id" INTEGER
) STRICT;
CREATE TABLE "meta" (
   "key" TEXT PRIMARY KEY,
   "value" TEXT
) STRICT;
INSERT INTO "meta" VALUES('scoring','{"excluded_usernames": ["admin", "posts_bot", "reddit_bot"], "weights": {"comment_created": 100, "comment_dislike": -500, "comment_like": 1000, "post_created": 200, "post_dislike": -1000, "post_like": 3000, "review_created": 300, "review_downvote": -1000, "review_upvote": 2000}}');
CREATE TABLE "posts" (
   "id" INTEGER PRIMARY KEY,
   "user_id" INTEGER,
   "created_at" TEXT NOT NULL
) STRICT;
INSERT INTO "posts" VALUES(10,1,'2026-11-01T00:00:00');
CREATE TABLE "review_votes" (
   "id" INTEGER PRIMARY KEY,
   "user_id" INTEGER,
   "review_id" INTEGER NOT NULL,
   "vote_type" TEXT NOT NULL,
   "created_at" TEXT NOT NULL,
   "author_id" INTEGER
) STRICT;
CREATE TABLE "reviews" (
   "id" INTEGER PRIMARY KEY,
   "user_id" INTEGER,
   "created_at" TEXT NOT NULL
) STRICT;
CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT;
INSERT INTO "schema_migrations" VALUES(1,'initial','2026-12-04T17:26:05');
CREATE TABLE "seen_events" (
   "event_id" TEXT PRIMARY KEY,
   "seen_at" TEXT
) STRICT;
CREATE TABLE "user_scores" (
   "user_id" INTEGER PRIMARY KEY,
   "total_score" INTEGER NOT NULL,
   "post_likes_score" INTEGER NOT NULL,
   "review_votes_score" INTEGER NOT NULL,
   "comment_likes_score" INTEGER NOT NULL,
   "content_creation_score" INTEGER NOT NULL,
   "excluded" INTEGER NOT NULL,
   "calculated_at" TEXT
) STRICT;
INSERT INTO "user_scores" VALUES(1,200,0,0,0,200,0,'2026-12-04T17:26:05');
CREATE TABLE "users" (
   "id" INTEGER PRIMARY KEY,
   "username" TEXT NOT NULL,
   "name" TEXT,
   "created_at" TEXT,
   "is_bot" INTEGER NOT NULL DEFAULT 0
) STRICT;
INSERT INTO "users" VALUES(1,'ann','Ann','2026-01-01T00:00:00',0);
CREATE UNIQUE INDEX "idx_users_username"
    ON "users" ("username");
CREATE INDEX "idx_reviews_user_id"
    ON "reviews" ("user_id");
CREATE INDEX "idx_reviews_created_at"
    ON "reviews" ("created_at");
CREATE INDEX "idx_comments_user_id"
    ON "comments" ("user_id");
CREATE INDEX "idx_comments_created_at"
    ON "comments" ("created_at");
CREATE INDEX "idx_likes_likeable_type_likeable_id"
    ON "likes" ("likeable_type", "likeable_id");
CREATE INDEX "idx_likes_author_id_likeable_type_is_like_created_at"
    ON "likes" ("author_id", "likeable_type", "is_like", "created_at");
CREATE INDEX "idx_likes_user_id"
    ON "likes" ("user_id");
CREATE INDEX "idx_likes_created_at"
    ON "likes" ("created_at");
CREATE INDEX "idx_review_votes_review_id"
    ON "review_votes" ("review_id");
CREATE INDEX "idx_review_votes_author_id_vote_type_created_at"
    ON "review_votes" ("author_id", "vote_type", "created_at");
CREATE INDEX "idx_review_votes_user_id"
    ON "review_votes" ("user_id");
CREATE INDEX "idx_review_votes_created_at"
    ON "review_votes" ("created_at");
CREATE INDEX idx_user_scores_rank ON user_scores (excluded, total_score DESC, user_id);
CREATE INDEX "idx_seen_events_seen_at"
    ON "seen_events" ("seen_at");
CREATE TRIGGER posts_author_in AFTER INSERT ON posts BEGIN
         UPDATE likes SET author_id = NEW.user_id
         WHERE likeable_type = 'post' AND likeable_id = NEW.id AND author_id IS NOT NEW.user_id;
       END;
CREATE TRIGGER posts_author_up AFTER UPDATE OF user_id ON posts BEGIN
         UPDATE likes SET author_id = NEW.user_id
         WHERE likeable_type = 'post' AND likeable_id = NEW.id AND author_id IS NOT NEW.user_id;
       END;
CREATE TRIGGER comments_author_in AFTER INSERT ON comments BEGIN
         UPDATE likes SET author_id = NEW.user_id
         WHERE likeable_type = 'comment' AND likeable_id = NEW.id AND author_id IS NOT NEW.user_id;
       END;
CREATE TRIGGER comments_author_up AFTER UPDATE OF user_id ON comments BEGIN
         UPDATE likes SET author_id = NEW.user_id
         WHERE likeable_type = 'comment' AND likeable_id = NEW.id AND author_id IS NOT NEW.user_id;
       END;
CREATE TRIGGER reviews_author_in AFTER INSERT ON reviews BEGIN
         UPDATE review_votes SET author_id = NEW.user_id
         WHERE review_id = NEW.id AND author_id IS NOT NEW.user_id;
       END;
CREATE TRIGGER reviews_author_up AFTER UPDATE OF user_id ON reviews BEGIN
         UPDATE review_votes SET author_id = NEW.user_id
         WHERE review_id = NEW.id AND author_id IS NOT NEW.user_id;
       END;
CREATE TRIGGER posts_cascade AFTER DELETE ON posts BEGIN
         DELETE FROM likes WHERE likeable_type = 'post' AND likeable_id = OLD.id;
       END;
CREATE TRIGGER comments_cascade AFTER DELETE ON comments BEGIN
         DELETE FROM likes WHERE likeable_type = 'comment' AND likeable_id = OLD.id;
       END;
CREATE TRIGGER reviews_cascade AFTER DELETE ON reviews BEGIN
         DELETE FROM review_votes WHERE review_id = OLD.id;
       END;
CREATE TRIGGER users_cascade AFTER DELETE ON users BEGIN
         DELETE FROM posts WHERE user_id = OLD.id;
         DELETE FROM reviews WHERE user_id = OLD.id;
         DELETE FROM comments WHERE user_id = OLD.id;
         DELETE FROM likes WHERE user_id = OLD.id;
         DELETE FROM review_votes WHERE user_id = OLD.id;
         DELETE FROM user_scores WHERE user_id = OLD.id;
       END;
CREATE INDEX "idx_posts_user_id"
    ON "posts" ("user_id");
CREATE INDEX "idx_posts_created_at"
    ON "posts" ("created_at");
COMMIT;
