"""Hook events for the benchmark, built from the ids of a data set.

The stream mixes what a live site sends: mostly new likes and votes, some
flips (``like.updated`` with ``is_like`` turned over, ``review_vote.updated``
with the vote turned), deletes, new items and a few new users. Flips and
deletes use rows drawn from the data set, so they touch stored rows; new rows
take ids above the data set's. Every event has an ``event_id``.
"""

from __future__ import annotations

import csv
import json
import random
from datetime import timedelta
from pathlib import Path

from dataset import DataSet

# event -> share of the stream
MIX = {
    "like.created": 0.40,
    "review_vote.created": 0.12,
    "like.updated": 0.12,
    "review_vote.updated": 0.05,
    "like.deleted": 0.08,
    "review_vote.deleted": 0.03,
    "post.created": 0.06,
    "comment.created": 0.08,
    "review.created": 0.03,
    "user.created": 0.02,
    "post.deleted": 0.005,
    "comment.deleted": 0.005,
}
TRUE_TEXTS = frozenset({"1", "true", "yes"})
TARGETS = 5000  # stored posts, comments, reviews and users that new rows point at


class _Sample:
    """A random sample of one file's rows, and the file's largest id."""

    def __init__(self, path: Path, rows: int, k: int, rng: random.Random):
        chosen = set(rng.sample(range(rows), min(k, rows)))
        self.rows: list[list[str]] = []
        self.max_id = 0
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            self.header = next(reader)
            for number, fields in enumerate(reader):
                self.max_id = max(self.max_id, int(fields[0]))
                if number in chosen:
                    self.rows.append(dict(zip(self.header, fields)))
        rng.shuffle(self.rows)
        self.next_id = self.max_id

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def take(self) -> dict[str, str]:
        """A sampled row no other event has taken (flips and deletes stay apart)."""
        return self.rows.pop()

    def any_id(self, rng: random.Random) -> int:
        return int(rng.choice(self.rows)["id"])


class EventMaker:
    """Makes hook events whose targets and authors exist in the data set."""

    def __init__(self, data: DataSet, n_events: int, seed: int):
        self.rng = random.Random(f"{seed}/bench-events")
        need = {kind: int(n_events * share) + 1 for kind, share in MIX.items()}
        taken = {  # rows that flips and deletes use up, one event each
            "likes": need["like.updated"] + need["like.deleted"],
            "review_votes": need["review_vote.updated"] + need["review_vote.deleted"],
            "posts": need["post.deleted"],
            "comments": need["comment.deleted"],
        }
        for kind, k in taken.items():
            if k >= data.counts[kind]:
                raise SystemExit(f"{n_events:,} events need {k:,} stored {kind}, but the "
                                 f"data set has {data.counts[kind]:,}; use fewer --events")
        sizes = {"users": TARGETS, "reviews": TARGETS, **taken}
        sizes["posts"] += TARGETS
        sizes["comments"] += TARGETS
        self.samples = {kind: _Sample(data.folder / f"{kind}.csv", data.counts[kind], k,
                                      self.rng) for kind, k in sizes.items()}
        self.day = data.end_date
        self.number = 0

    def _time(self) -> str:
        moment = self.rng.randrange(7 * 86400)
        day = self.day - timedelta(days=moment // 86400)
        second = moment % 86400
        hours, minutes, seconds = second // 3600, second // 60 % 60, second % 60
        return f"{day.isoformat()}T{hours:02d}:{minutes:02d}:{seconds:02d}Z"

    def _user(self) -> int:
        return self.samples["users"].any_id(self.rng)

    def make(self, event: str) -> dict:
        """One event of kind ``event``, with a fresh event_id."""
        self.number += 1
        rng, s = self.rng, self.samples
        head = {"event": event, "event_id": f"bench-{self.number}"}
        if event == "like.created":
            on_post = rng.random() < 0.75
            target = s["posts" if on_post else "comments"].any_id(rng)
            return {**head, "id": s["likes"].new_id(), "user_id": self._user(),
                    "likeable_type": "post" if on_post else "comment",
                    "likeable_id": target, "is_like": rng.random() >= 0.05,
                    "created_at": self._time()}
        if event == "review_vote.created":
            return {**head, "id": s["review_votes"].new_id(), "user_id": self._user(),
                    "review_id": s["reviews"].any_id(rng),
                    "vote_type": "down" if rng.random() < 0.1 else "up",
                    "created_at": self._time()}
        if event == "like.updated":
            row = s["likes"].take()
            flipped = row["is_like"].strip().lower() not in TRUE_TEXTS
            return {**head, **_with_ids(row), "is_like": flipped}
        if event == "review_vote.updated":
            row = s["review_votes"].take()
            turned = "up" if row["vote_type"] == "down" else "down"
            return {**head, **_with_ids(row), "vote_type": turned}
        if event == "user.created":
            user_id = s["users"].new_id()
            return {**head, "id": user_id, "username": f"bench_user_{user_id}",
                    "name": "Bench User", "created_at": self._time(), "is_bot": False}
        kind, _, action = event.partition(".")
        table = {"like": "likes", "review_vote": "review_votes", "post": "posts",
                 "comment": "comments", "review": "reviews"}[kind]
        if action == "deleted":
            return {**head, "id": int(s[table].take()["id"])}
        return {**head, "id": s[table].new_id(), "user_id": self._user(),
                "created_at": self._time()}


def _with_ids(row: dict[str, str]) -> dict:
    """A stored row as an event's fields: ids as numbers, an empty voter as null."""
    fields = dict(row)
    for key in ("id", "user_id", "likeable_id", "review_id"):
        if key in fields:
            fields[key] = int(fields[key]) if fields[key] else None
    return fields


def write_stream(maker: EventMaker, n_events: int, path: Path) -> int:
    """Write ``n_events`` mixed events as NDJSON, shuffled; returns how many."""
    counts = {event: int(n_events * share) for event, share in MIX.items()}
    counts["like.created"] += n_events - sum(counts.values())
    order = [event for event, n in counts.items() for _ in range(n)]
    maker.rng.shuffle(order)
    with open(path, "w", encoding="utf-8") as f:
        for event in order:
            f.write(json.dumps(maker.make(event)) + "\n")
    return len(order)


def single_hook_args(maker: EventMaker) -> list[str]:
    """`scorekeeper hook` arguments for one new like, options in kebab case."""
    event = maker.make("like.created")
    args = [event.pop("event")]
    for key, value in event.items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        args += [f"--{key.replace('_', '-')}", text]
    return args

