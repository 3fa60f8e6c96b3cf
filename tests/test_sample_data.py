"""The sample-data generator (sample_data/generate.py) writes what SPEC.md reads."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

GENERATOR = Path(__file__).resolve().parent.parent / "sample_data" / "generate.py"

HEADERS = {
    "users": ["id", "username", "name", "created_at", "is_bot"],
    "posts": ["id", "user_id", "created_at"],
    "reviews": ["id", "user_id", "created_at"],
    "comments": ["id", "user_id", "created_at"],
    "likes": ["id", "user_id", "likeable_type", "likeable_id", "is_like", "created_at"],
    "review_votes": ["id", "user_id", "review_id", "vote_type", "created_at"],
}


def generate(out: Path, *args: str) -> Path:
    subprocess.run(
        [sys.executable, str(GENERATOR), "--out", str(out), "--quiet", *args],
        check=True,
        timeout=60,
    )
    return out


def read(folder: Path, kind: str) -> tuple[list[str], list[list[str]]]:
    with open(folder / f"{kind}.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return generate(tmp_path_factory.mktemp("tiny"), "--users", "30", "--rows", "400")


def test_headers_are_the_spec_schemas(tiny: Path) -> None:
    for kind, header in HEADERS.items():
        got, rows = read(tiny, kind)
        assert got == header, kind
        assert rows, f"{kind}.csv has no rows"
        assert all(len(row) == len(header) for row in rows), kind
        raw = (tiny / f"{kind}.csv").read_bytes()
        assert b"\r" not in raw and not raw.startswith(b"\xef\xbb\xbf")


def test_ids_and_usernames_are_unique(tiny: Path) -> None:
    for kind in HEADERS:
        _, rows = read(tiny, kind)
        ids = [int(row[0]) for row in rows]
        assert len(ids) == len(set(ids)), kind
        assert min(ids) > 0, kind
    _, users = read(tiny, "users")
    usernames = [row[1] for row in users]
    assert len(usernames) == len(set(usernames))
    assert {"admin", "reddit_bot", "posts_bot"} <= set(usernames)


def test_references_point_at_generated_rows(tiny: Path) -> None:
    user_ids = {row[0] for row in read(tiny, "users")[1]}
    for kind in ("posts", "reviews", "comments"):
        assert {row[1] for row in read(tiny, kind)[1]} <= user_ids, kind
    for kind in ("likes", "review_votes"):
        voters = {row[1] for row in read(tiny, kind)[1]}
        assert voters - {""} <= user_ids, kind


def test_same_seed_same_bytes_other_seed_differs(tmp_path: Path, tiny: Path) -> None:
    again = generate(tmp_path / "again", "--users", "30", "--rows", "400", "--jobs", "2")
    other = generate(tmp_path / "other", "--users", "30", "--rows", "400", "--seed", "2")
    for kind in HEADERS:
        name = f"{kind}.csv"
        assert (again / name).read_bytes() == (tiny / name).read_bytes(), kind
    assert any((other / f"{k}.csv").read_bytes() != (tiny / f"{k}.csv").read_bytes() for k in HEADERS)


def test_shares_of_dislikes_and_downvotes(tmp_path: Path) -> None:
    out = generate(tmp_path / "mid", "--users", "200", "--rows", "8000")
    _, likes = read(out, "likes")
    assert len(likes) > 3000
    dislikes = sum(row[4].lower() in ("0", "false", "no") for row in likes)
    assert 0.03 <= dislikes / len(likes) <= 0.08
    assert sum(row[4] in ("1", "0") for row in likes) / len(likes) > 0.9  # 1/0 dominate
    comment_likes = sum(row[2].lower().endswith("comment") for row in likes)
    assert 0.1 <= comment_likes / len(likes) <= 0.4
    _, votes = read(out, "review_votes")
    downs = sum(row[3] == "down" for row in votes)
    assert 0.05 <= downs / len(votes) <= 0.15
    assert {row[3] for row in votes} == {"up", "down"}


def test_likes_are_never_older_than_their_targets(tmp_path: Path) -> None:
    from datetime import datetime, timezone

    def instant(text: str) -> datetime:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)

    out = generate(tmp_path / "t", "--users", "50", "--rows", "2000")
    created = {
        kind: {row[0]: instant(row[2]) for row in read(out, kind + "s")[1]}
        for kind in ("post", "comment", "review")
    }
    for row in read(out, "likes")[1]:
        kind = row[2].lower().rsplit("\\", 1)[-1]
        target = created[kind].get(row[3])
        if target is not None:
            assert instant(row[5]) >= target, row
    for row in read(out, "review_votes")[1]:
        target = created["review"].get(row[2])
        if target is not None:
            assert instant(row[4]) >= target, row
