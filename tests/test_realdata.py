"""`import-stackexchange` on a real dump (Quantum Computing SE, 2018), checked against the
dump's own facts and against the reference scorer fed from an independent XML parse."""

from __future__ import annotations

import itertools
import sqlite3
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

import reference as ref
from conftest import run

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "realdata" / "se-quantumcomputing-2018"
AS_OF = date(2018, 8, 15)


def xml_rows(name: str) -> list[dict[str, str]]:
    return [row.attrib for row in ET.parse(REAL / name).getroot().iter("row")]


@pytest.fixture(scope="module")
def dump() -> dict[str, list[dict[str, str]]]:
    if not REAL.is_dir():
        pytest.skip(f"the real Stack Exchange dump is not here: {REAL}")
    return {name: xml_rows(f"{name}.xml") for name in ("Users", "Posts", "Votes", "Comments")}


@pytest.fixture(scope="module")
def imported(dump, tmp_path_factory) -> dict:
    """The dump imported once into a database of this module; what the import said."""
    db = tmp_path_factory.mktemp("realdata") / "real.db"
    first = run("import-stackexchange", REAL, "--db", db)
    assert (first.exit_code, first.stdout) == (0, ""), first.stderr
    return {"db": db, "stderr": first.stderr}


@pytest.fixture(scope="module")
def state(dump) -> ref.State:
    """SPEC.md's mapping of the dump, done here without scorekeeper's reader."""
    kinds = {row["Id"]: row["PostTypeId"] for row in dump["Posts"]}
    tables: dict[str, list[dict]] = {kind: [] for kind in ref.KINDS}
    for row in dump["Users"]:
        tables["users"].append({"id": int(row["Id"]), "username": f"user{row['Id']}",
                                "name": row["DisplayName"], "created_at": row["CreationDate"],
                                "is_bot": row["Id"] == "-1"})
    for row in dump["Posts"]:
        kind = {"1": "posts", "2": "reviews"}.get(row["PostTypeId"])
        if kind:
            tables[kind].append({"id": int(row["Id"]), "user_id": row.get("OwnerUserId"),
                                 "created_at": row["CreationDate"]})
    for row in dump["Votes"]:
        if row["VoteTypeId"] not in ("2", "3"):
            continue
        up = row["VoteTypeId"] == "2"
        if kinds.get(row["PostId"]) == "1":
            tables["likes"].append({"id": int(row["Id"]), "likeable_type": "post",
                                    "likeable_id": int(row["PostId"]), "is_like": up,
                                    "created_at": row["CreationDate"]})
        elif kinds.get(row["PostId"]) == "2":
            tables["review_votes"].append({"id": int(row["Id"]), "review_id": int(row["PostId"]),
                                           "vote_type": "up" if up else "down",
                                           "created_at": row["CreationDate"]})
    comment_like_ids = itertools.count(10**15)
    for row in dump["Comments"]:
        tables["comments"].append({"id": int(row["Id"]), "user_id": row.get("UserId"),
                                   "created_at": row["CreationDate"]})
        for _ in range(int(row.get("Score", "0"))):
            tables["likes"].append({"id": next(comment_like_ids), "likeable_type": "comment",
                                    "likeable_id": int(row["Id"]), "is_like": True,
                                    "created_at": row["CreationDate"]})
    result = ref.State()
    for kind in ref.KINDS:
        result.load(kind, tables[kind])
    return result


def query(db: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_counts_stored_per_table(imported, state):
    stored = {kind: query(imported["db"], f"SELECT COUNT(*) FROM {kind}")[0][0]
              for kind in ref.KINDS}
    assert stored == {kind: len(state.tables[kind]) for kind in ref.KINDS}
    assert stored["users"] == 3461  # SOURCE.md


def test_every_question_and_answer_balance_equals_its_score(imported, dump):
    likes = dict(query(imported["db"], "SELECT likeable_id, SUM(CASE WHEN is_like THEN 1 ELSE -1 END)"
                                       " FROM likes WHERE likeable_type = 'post' GROUP BY 1"))
    votes = dict(query(imported["db"], "SELECT review_id, SUM(CASE WHEN vote_type = 'up' THEN 1"
                                       " ELSE -1 END) FROM review_votes GROUP BY 1"))
    checked = Counter()
    for row in dump["Posts"]:
        balance = {"1": likes, "2": votes}.get(row["PostTypeId"])
        if balance is None:
            continue
        assert balance.get(int(row["Id"]), 0) == int(row["Score"]), row
        checked[row["PostTypeId"]] += 1
    assert checked["1"] > 500 and checked["2"] > 500


def test_every_comment_score_became_that_many_likes(imported, dump):
    likes = dict(query(imported["db"], "SELECT likeable_id, COUNT(*) FROM likes"
                                       " WHERE likeable_type = 'comment' AND is_like GROUP BY 1"))
    for row in dump["Comments"]:
        assert likes.get(int(row["Id"]), 0) == int(row.get("Score", "0")), row


def test_the_leaderboard_equals_the_reference(imported, state):
    expected = state.standings(AS_OF)
    top = run("leaderboard", "--db", imported["db"], "--as-of", AS_OF.isoformat(),
              "--limit", "25", "--format", "csv")
    assert top.exit_code == 0
    assert top.stdout == ref.to_csv(expected[:25])
    everyone = run("export", "--db", imported["db"], "--as-of", AS_OF.isoformat())
    assert everyone.stdout == ref.to_csv(expected)
    risers = run("risers", "--db", imported["db"], "--as-of", AS_OF.isoformat(), "--limit", "1000")
    assert risers.stdout == ref.to_csv(state.risers(AS_OF)[:1000])
    assert len(state.risers(AS_OF)) > 10


def test_the_bot_is_never_listed(imported):
    export = run("export", "--db", imported["db"]).stdout
    assert ",-1,user-1," not in export
    assert run("show", "user-1", "--db", imported["db"]).exit_code == 3


def test_no_drift_after_the_import(imported):
    assert run("recalc", "--check", "--db", imported["db"]).exit_code == 0


def test_importing_the_dump_twice_changes_nothing(imported):
    db = imported["db"]
    tables = ("users", "posts", "reviews", "comments", "likes", "review_votes")
    before = {table: query(db, f"SELECT * FROM {table} ORDER BY id") for table in tables}
    scores = query(db, "SELECT user_id, total_score, post_likes_score, review_votes_score,"
                       " comment_likes_score, content_creation_score FROM user_scores ORDER BY 1")
    exported = run("export", "--db", db, "--as-of", AS_OF.isoformat()).stdout
    again = run("import-stackexchange", REAL, "--db", db)
    assert again.exit_code == 0
    assert again.stderr.count("(0 added, 0 changed, 0 removed)") == 6
    assert {table: query(db, f"SELECT * FROM {table} ORDER BY id") for table in tables} == before
    assert query(db, "SELECT user_id, total_score, post_likes_score, review_votes_score,"
                     " comment_likes_score, content_creation_score FROM user_scores"
                     " ORDER BY 1") == scores
    assert run("export", "--db", db, "--as-of", AS_OF.isoformat()).stdout == exported
