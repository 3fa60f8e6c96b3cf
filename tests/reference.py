"""A plain-Python recomputation of SPEC.md's scoring: the oracle for the tests.

It shares no code with scorekeeper: rows are dicts as a file or an event
carries them, points are integer thousandths, times are ``datetime`` objects.
``State`` applies hook events and imports the way SPEC.md describes them;
``standings`` turns a state into the rows every listing prints.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any, Iterable

DEFAULT_WEIGHTS = {
    "post_like": 3000,
    "post_dislike": -1000,
    "review_upvote": 2000,
    "review_downvote": -1000,
    "comment_like": 1000,
    "comment_dislike": -500,
    "post_created": 200,
    "review_created": 300,
    "comment_created": 100,
}
DEFAULT_EXCLUDED = ("reddit_bot", "posts_bot", "admin")
COLUMNS = ("rank", "user_id", "username", "total_score", "post_likes_score",
           "review_votes_score", "comment_likes_score", "content_creation_score",
           "monthly_increase")
ITEM_KINDS = ("posts", "reviews", "comments")
KINDS = ("users", "posts", "reviews", "comments", "likes", "review_votes")
EVENT_KIND = {"user": "users", "post": "posts", "review": "reviews", "comment": "comments",
              "like": "likes", "review_vote": "review_votes"}


def milli(points: str | int | Decimal) -> int:
    """Exact thousandths of a decimal given as text (``"0.2"`` -> 200)."""
    value = Decimal(str(points)) * 1000
    assert value == value.to_integral_value(), points
    return int(value)


def text(value: int) -> str:
    """Thousandths as the shortest exact decimal: 3000 -> "3", -500 -> "-0.5"."""
    if value == 0:
        return "0"
    digits = format(Decimal(value).scaleb(-3).normalize(), "f")
    return digits


def moment(value: str) -> datetime:
    """An ISO 8601 text of SPEC.md's forms as an aware UTC datetime."""
    raw = value.strip()
    if len(raw) == 10:
        return datetime.strptime(raw, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    raw = raw.replace(" ", "T", 1)
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    parsed = datetime.fromisoformat(raw)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes")


def optional_int(value: Any) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return int(value)


def likeable(value: str) -> str:
    return str(value).rsplit("\\", 1)[-1].strip().lower()


def window(as_of: date) -> tuple[datetime, datetime]:
    """[start, end) of the 30 UTC days ending on `as_of`, that day included."""
    end = datetime.combine(as_of + timedelta(days=1), time(), tzinfo=timezone.utc)
    return end - timedelta(days=30), end


@dataclass
class Row:
    """One listed user's standing, in thousandths."""

    rank: int
    user_id: int
    username: str
    total_score: int
    post_likes_score: int
    review_votes_score: int
    comment_likes_score: int
    content_creation_score: int
    monthly_increase: int

    def cells(self) -> list[str]:
        return [str(self.rank), str(self.user_id), self.username, *(
            text(getattr(self, name)) for name in COLUMNS[3:])]

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in COLUMNS:
            value = getattr(self, name)
            if name in COLUMNS[3:]:
                value = Decimal(text(value))
            out[name] = value
        return out


@dataclass
class State:
    """The stored activity as SPEC.md defines it: one dict of rows per kind, by id."""

    tables: dict[str, dict[int, dict[str, Any]]] = field(
        default_factory=lambda: {kind: {} for kind in KINDS})
    seen_event_ids: set[str] = field(default_factory=set)

    # -- storing -----------------------------------------------------------

    def upsert(self, kind: str, row: dict[str, Any]) -> None:
        self.tables[kind][int(row["id"])] = dict(row)

    def delete(self, kind: str, row_id: int) -> None:
        """Remove a row and what hangs on it (SPEC.md, "Hook events")."""
        row_id = int(row_id)
        if row_id not in self.tables[kind]:
            return
        del self.tables[kind][row_id]
        if kind in ("posts", "comments"):
            target = kind[:-1]
            self._drop("likes", lambda like: likeable(like["likeable_type"]) == target
                       and int(like["likeable_id"]) == row_id)
        elif kind == "reviews":
            self._drop("review_votes", lambda vote: int(vote["review_id"]) == row_id)
        elif kind == "users":
            for item_kind in ITEM_KINDS:
                for item_id, item in list(self.tables[item_kind].items()):
                    if int(item["user_id"]) == row_id:
                        self.delete(item_kind, item_id)
            for cast in ("likes", "review_votes"):
                self._drop(cast, lambda row: optional_int(row.get("user_id")) == row_id)

    def _drop(self, kind: str, test) -> None:
        for row_id, row in list(self.tables[kind].items()):
            if test(row):
                del self.tables[kind][row_id]

    def apply_event(self, event: dict[str, Any]) -> None:
        """One hook event: created/updated store by id, deleted cascades, event_id once."""
        event_id = event.get("event_id")
        if event_id is not None:
            if event_id in self.seen_event_ids:
                return
            self.seen_event_ids.add(event_id)
        prefix, action = event["event"].split(".")
        kind = EVENT_KIND[prefix]
        if action == "deleted":
            self.delete(kind, event["id"])
        else:
            self.upsert(kind, {k: v for k, v in event.items() if k not in ("event", "event_id")})

    def load(self, kind: str, rows: Iterable[dict[str, Any]], replace: bool = False) -> None:
        """An import of one file: upsert by id; `replace` drops stored rows it lacks."""
        rows = list(rows)
        for row in rows:
            self.upsert(kind, row)
        if replace:
            keep = {int(row["id"]) for row in rows}
            for row_id in list(self.tables[kind]):
                if row_id not in keep:
                    self.delete(kind, row_id)

    # -- scoring -----------------------------------------------------------

    def points(self, weights: dict[str, int] = DEFAULT_WEIGHTS):
        """Every scoring fact: (author id, component, thousandths, when)."""
        t = self.tables
        for kind, weight in (("posts", "post_created"), ("reviews", "review_created"),
                             ("comments", "comment_created")):
            for item in t[kind].values():
                author = optional_int(item.get("user_id"))
                if author is not None:
                    yield author, "content_creation_score", weights[weight], moment(item["created_at"])
        for like in t["likes"].values():
            target_kind = likeable(like["likeable_type"])
            item = t[target_kind + "s"].get(int(like["likeable_id"]))
            if item is None or optional_int(item.get("user_id")) is None:
                continue
            up = truthy(like["is_like"])
            weight = f"{target_kind}_{'like' if up else 'dislike'}"
            yield (int(item["user_id"]), f"{target_kind}_likes_score", weights[weight],
                   moment(like["created_at"]))
        for vote in t["review_votes"].values():
            item = t["reviews"].get(int(vote["review_id"]))
            if item is None or optional_int(item.get("user_id")) is None:
                continue
            weight = "review_upvote" if str(vote["vote_type"]).strip().lower() == "up" else "review_downvote"
            yield (int(item["user_id"]), "review_votes_score", weights[weight],
                   moment(vote["created_at"]))

    def excluded(self, user: dict[str, Any], excluded_usernames=DEFAULT_EXCLUDED) -> bool:
        return truthy(user.get("is_bot") or False) or user["username"] in excluded_usernames

    def components(self, weights: dict[str, int] = DEFAULT_WEIGHTS) -> dict[int, dict[str, int]]:
        """Every known user's four components and total (excluded users too)."""
        scores = {uid: dict.fromkeys(COLUMNS[3:8], 0) for uid in self.tables["users"]}
        for author, component, points, _when in self.points(weights):
            if author in scores:
                scores[author][component] += points
                scores[author]["total_score"] += points
        return scores

    def standings(self, as_of: date, weights: dict[str, int] = DEFAULT_WEIGHTS,
                  excluded_usernames=DEFAULT_EXCLUDED) -> list[Row]:
        """Every listed user, ranked and ordered as `export` lists them."""
        start, end = window(as_of)
        monthly: dict[int, int] = {}
        for author, _component, points, when in self.points(weights):
            if start <= when < end:
                monthly[author] = monthly.get(author, 0) + points
        scores = self.components(weights)
        rows = [
            Row(0, uid, user["username"], **scores[uid], monthly_increase=monthly.get(uid, 0))
            for uid, user in self.tables["users"].items()
            if not self.excluded(user, excluded_usernames)
        ]
        return competition_rank(rows, "total_score")

    def risers(self, as_of: date, weights: dict[str, int] = DEFAULT_WEIGHTS,
               excluded_usernames=DEFAULT_EXCLUDED) -> list[Row]:
        rows = [row for row in self.standings(as_of, weights, excluded_usernames)
                if row.monthly_increase > 0]
        return competition_rank(rows, "monthly_increase")


def competition_rank(rows: list[Row], key: str) -> list[Row]:
    """Highest first, ties by user_id; equal values share a rank, the next skips."""
    ordered = sorted(rows, key=lambda row: (-getattr(row, key), row.user_id))
    ranked = []
    for position, row in enumerate(ordered, 1):
        if ranked and getattr(ranked[-1], key) == getattr(row, key):
            rank = ranked[-1].rank
        else:
            rank = position
        ranked.append(Row(**{**row.__dict__, "rank": rank}))
    return ranked


def to_csv(rows: Iterable[Row]) -> str:
    """The CSV listing SPEC.md fixes, built with the csv module."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(row.cells())
    return out.getvalue()


def parse_json_listing(data: str) -> list[dict[str, Any]]:
    """A JSON listing with its numbers read exactly (as Decimal)."""
    return json.loads(data, parse_float=Decimal, parse_int=int)
