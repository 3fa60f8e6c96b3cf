"""`scorekeeper hook EVENT ...` and `scorekeeper hook -`: options, --json, streams,
replays, deletes of what is not stored, settings that differ, and the real entry point."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from conftest import LISTING_HEADER, ok, run, run_process, write_kind

USERS = [(1, "ann", "Ann", "2026-01-01", None), (2, "bob", "Bob", "2026-01-01", None)]
LIKE = ["like.created", "--id", "77", "--user-id", "2", "--likeable-type", "post",
        "--likeable-id", "10", "--is-like", "true", "--created-at", "2026-11-30T10:00:00Z"]


@pytest.fixture
def site(tmp_path: Path, db_path: Path) -> Path:
    """ann (1) with post 10, bob (2); imported and scored."""
    write_kind(tmp_path, "users", USERS)
    write_kind(tmp_path, "posts", [(10, 1, "2026-11-01")])
    ok("import", "users.csv", "posts.csv")
    return db_path


def totals() -> dict[str, str]:
    lines = ok("export", "--as-of", "2026-11-30").stdout.splitlines()[1:]
    return {line.split(",")[2]: line.split(",")[3] for line in lines}


def no_drift() -> None:
    check = run("recalc", "--check")
    assert check.exit_code == 0, check.stderr


def count(db: Path, table: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def test_an_event_from_options_prints_nothing_on_stdout(site):
    result = run("hook", *LIKE)
    assert (result.exit_code, result.stdout) == (0, "")
    assert totals() == {"ann": "3.2", "bob": "0"}
    no_drift()


def test_an_event_from_json(site):
    event = {"id": 77, "user_id": 2, "likeable_type": "post", "likeable_id": 10,
             "is_like": False, "created_at": "2026-11-30T10:00:00Z", "event_id": "a1"}
    result = run("hook", "like.created", "--json", json.dumps(event))
    assert (result.exit_code, result.stdout) == (0, "")
    assert totals()["ann"] == "-0.8"
    no_drift()


def test_the_json_event_name_must_match_the_command(site):
    result = run("hook", "like.created", "--json", json.dumps({"event": "like.deleted", "id": 1}))
    assert result.exit_code == 2
    assert "--json says event 'like.deleted' but the command says 'like.created'" in result.stderr


@pytest.mark.parametrize("text, fragment", [
    ("{not json", "--json is not valid JSON"),
    ("[1, 2]", "--json must be one JSON object"),
])
def test_bad_json_is_bad_usage(site, text, fragment):
    result = run("hook", "like.created", "--json", text)
    assert result.exit_code == 2
    assert fragment in result.stderr
    assert result.stdout == ""


def test_replay_with_the_same_event_id_counts_once(site):
    first = run("hook", *LIKE, "--event-id", "a1")
    second = run("hook", *LIKE, "--event-id", "a1")
    assert first.exit_code == second.exit_code == 0
    assert "skipped event_id 'a1': it was applied before" in second.stderr
    assert totals()["ann"] == "3.2"
    no_drift()


def test_a_replay_without_event_id_stores_by_id_and_changes_nothing(site):
    ok("hook", *LIKE)
    ok("hook", *LIKE)
    assert count(site, "likes") == 1
    assert totals()["ann"] == "3.2"


def test_an_updated_event_flips_a_like(site):
    ok("hook", *LIKE)
    flipped = [*LIKE[:-4], "--is-like", "false", "--created-at", "2026-11-30T10:00:00Z"]
    flipped[0] = "like.updated"
    ok("hook", *flipped)
    assert totals()["ann"] == "-0.8"
    no_drift()


def test_deleting_what_is_not_stored_changes_nothing_and_says_so(site):
    before = totals()
    result = run("hook", "like.deleted", "--id", "12345")
    assert (result.exit_code, result.stdout) == (0, "")
    assert "no like with id 12345 is stored; nothing changed" in result.stderr
    assert totals() == before
    for event in ("user.deleted", "post.deleted", "review.deleted", "comment.deleted",
                  "review_vote.deleted"):
        result = run("hook", event, "--id", "999")
        assert result.exit_code == 0, event
        assert "nothing changed" in result.stderr
    no_drift()


@pytest.mark.parametrize("args, fragment", [
    (["bogus.created", "--id", "1"], "field event: value 'bogus.created' is not a known event"),
    (["post.updated", "--id", "1"], "field event: value 'post.updated' is not a known event"),
    (["like.created", "--id", "1", "--user-id", "2", "--likeable-type", "blog",
      "--likeable-id", "10", "--is-like", "1", "--created-at", "2026-11-30"],
     "field likeable_type: value 'blog'"),
    (["like.created", "--id", "1", "--user-id", "2", "--likeable-type", "post",
      "--likeable-id", "10", "--created-at", "2026-11-30"], "field is_like is missing"),
    (["post.created", "--id", "x", "--user-id", "1", "--created-at", "2026-11-30"],
     "field id: value 'x'"),
    (["review_vote.created", "--id", "1", "--user-id", "", "--review-id", "20",
      "--vote-type", "sideways",
      "--created-at", "2026-11-30"], "field vote_type: value 'sideways'"),
    (["post.created", "--id", "11", "--user-id", "1", "--created-at", "last week"],
     "field created_at: value 'last week'"),
    (["post.deleted"], "field id: value None"),
])
def test_a_bad_event_exits_3_and_is_not_applied(site, args, fragment):
    before = totals()
    result = run("hook", *args)
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ")
    assert fragment in result.stderr
    assert totals() == before


def test_a_username_taken_by_another_user_is_refused(site):
    result = run("hook", "user.created", "--id", "3", "--username", "ann", "--name", "X",
                 "--created-at", "2026-01-01")
    assert result.exit_code == 3
    assert "field username: value 'ann' already belongs to user 1" in result.stderr


def test_a_stream_applies_every_line(site):
    lines = [
        {"event": "like.created", "event_id": "s1", "id": 1, "user_id": 2, "likeable_type": "post",
         "likeable_id": 10, "is_like": True, "created_at": "2026-11-05"},
        {"event": "like.created", "event_id": "s1", "id": 1, "user_id": 2, "likeable_type": "post",
         "likeable_id": 10, "is_like": True, "created_at": "2026-11-05"},
        {"event": "post.created", "id": 11, "user_id": 2, "created_at": "2026-11-05"},
    ]
    text = "\n".join(json.dumps(line) for line in lines) + "\n\n"
    result = run("hook", "-", input=text)
    assert (result.exit_code, result.stdout) == (0, "")
    assert "skipped 1 replays" in result.stderr or "skipped 1 replay" in result.stderr
    assert totals() == {"ann": "3.2", "bob": "0.2"}
    no_drift()


def test_a_stream_stops_at_the_first_bad_line_and_says_where_to_resume(site):
    lines = [
        json.dumps({"event": "post.created", "id": 50, "user_id": 2, "created_at": "2026-11-01"}),
        json.dumps({"event": "post.created", "id": 51, "user_id": 2, "created_at": "2026-11-01"}),
        "not json",
        json.dumps({"event": "post.created", "id": 52, "user_id": 2, "created_at": "2026-11-01"}),
    ]
    result = run("hook", "-", input="\n".join(lines) + "\n")
    assert result.exit_code == 3
    assert result.stdout == ""
    assert "stdin line 3: not valid JSON" in result.stderr
    assert "resume from line 3" in result.stderr
    assert totals()["bob"] == "0.4"  # lines 1 and 2 committed, line 4 not applied
    no_drift()


def test_a_stream_with_a_bad_event_names_its_line(site):
    lines = [
        json.dumps({"event": "post.created", "id": 50, "user_id": 2, "created_at": "2026-11-01"}),
        json.dumps({"event": "like.created", "id": 5, "likeable_type": "post"}),
    ]
    result = run("hook", "-", input="\n".join(lines) + "\n")
    assert result.exit_code == 3
    assert "stdin line 2:" in result.stderr
    assert totals()["bob"] == "0.2"


def test_a_hook_with_other_weights_refuses_and_recalc_adopts_them(site):
    ok("hook", *LIKE)
    env = {"SCOREKEEPER_WEIGHTS__POST_LIKE": "5"}
    refused = run("hook", "post.created", "--id", "12", "--user-id", "1",
                  "--created-at", "2026-11-01", env=env)
    assert refused.exit_code == 3
    assert "run `scorekeeper recalc`" in refused.stderr
    assert count(site, "posts") == 1  # not applied
    adopted = run("recalc", env=env)
    assert adopted.exit_code == 0
    assert "adopted the new weights" in adopted.stderr
    retried = run("hook", "post.created", "--id", "12", "--user-id", "1",
                  "--created-at", "2026-11-01", env=env)
    assert retried.exit_code == 0
    assert run("export", "--as-of", "2026-11-30", env=env).stdout.splitlines()[1].startswith(
        "1,1,ann,5.4,5,")


def test_a_hook_with_other_exclusions_refuses(site, tmp_path):
    (tmp_path / "scorekeeper.toml").write_text('excluded_usernames = ["bob"]\n', encoding="utf-8")
    result = run("hook", *LIKE)
    assert result.exit_code == 3
    assert "recalc" in result.stderr


def test_hook_on_a_new_database_creates_it(db_path):
    result = run("hook", "user.created", "--id", "1", "--username", "ann", "--name", "Ann",
                 "--created-at", "2026-01-01")
    assert result.exit_code == 0, result.stderr
    assert db_path.exists()
    assert ok("export").stdout == LISTING_HEADER + "\n1,1,ann,0,0,0,0,0,0\n"
    no_drift()


# -- through the real entry point (the quick path for hook calls included) ---------

def test_hook_through_the_entry_point_repeatedly(site):
    """The first call goes the full way and the later ones may take a quick path:
    every one must apply, skip or refuse exactly as the CliRunner path does."""
    for attempt in range(3):
        result = run_process("hook", *LIKE, "--event-id", "p1")
        assert (result.exit_code, result.stdout) == (0, "")
        if attempt:
            assert "skipped event_id 'p1'" in result.stderr
    bad = run_process("hook", "like.created", "--id", "1", "--likeable-type", "blog")
    assert bad.exit_code == 3
    assert bad.stdout == ""
    assert "Error: " in bad.stderr
    deleted = run_process("hook", "post.deleted", "--id", "10")
    assert deleted.exit_code == 0
    assert totals() == {"ann": "0", "bob": "0"}
    assert run_process("recalc", "--check").exit_code == 0


def test_hook_through_the_entry_point_sees_changed_settings(site, tmp_path):
    ok("hook", *LIKE)
    assert run_process("hook", "post.created", "--id", "12", "--user-id", "2",
                       "--created-at", "2026-11-01").exit_code == 0
    refused = run_process("hook", "post.created", "--id", "13", "--user-id", "2",
                          "--created-at", "2026-11-01",
                          env={"SCOREKEEPER_WEIGHTS__POST_CREATED": "0.5"})
    assert refused.exit_code == 3
    assert "recalc" in refused.stderr
    (tmp_path / "scorekeeper.toml").write_text("[weights]\npost_created = 0.5\n", encoding="utf-8")
    refused = run_process("hook", "post.created", "--id", "13", "--user-id", "2",
                          "--created-at", "2026-11-01")
    assert refused.exit_code == 3
    (tmp_path / "scorekeeper.toml").unlink()
    assert run_process("hook", "post.created", "--id", "13", "--user-id", "2",
                       "--created-at", "2026-11-01").exit_code == 0
    assert totals()["bob"] == "0.4"


def test_hook_stream_through_the_entry_point(site):
    text = json.dumps({"event": "post.created", "id": 60, "user_id": 2,
                       "created_at": "2026-11-01"}) + "\n{broken\n"
    result = run_process("hook", "-", input=text)
    assert result.exit_code == 3
    assert "stdin line 2" in result.stderr and "resume from line 2" in result.stderr
    assert totals()["bob"] == "0.2"


def test_hook_with_db_option_before_and_after_the_command(tmp_path):
    args = ["user.created", "--id", "1", "--username", "ann", "--name", "Ann",
            "--created-at", "2026-01-01"]
    assert run_process("--db", "a.db", "hook", *args).exit_code == 0
    assert run_process("hook", *args, "--db", "b.db").exit_code == 0
    assert run_process("--db", "a.db", "hook", *args, "--db", "c.db").exit_code == 0
    assert (tmp_path / "a.db").exists() and (tmp_path / "b.db").exists()
    assert (tmp_path / "c.db").exists()
    assert not (tmp_path / "scorekeeper.db").exists()
