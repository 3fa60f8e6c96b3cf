"""`scorekeeper config` and the settings every command reads: file, environment, flags."""

from __future__ import annotations

import pytest

from conftest import ok, run, write_kind


def settings(stdout: str) -> dict[str, tuple[str, str]]:
    """key -> (value, source) from `config`'s lines `key = value  # source`."""
    found = {}
    for line in stdout.splitlines():
        key, _, rest = line.partition("=")
        value, _, source = rest.partition("  # ")
        found[key.strip()] = (value.strip(), source.strip())
    return found


def test_the_defaults_and_where_they_came_from():
    result = run("config")
    assert result.exit_code == 0
    assert "config file: none" in result.stderr
    found = settings(result.stdout)
    assert found["db"] == ("scorekeeper.db", "default")
    assert found["busy_timeout_seconds"] == ("30", "default")
    assert found["event_id_retention_days"] == ("30", "default")
    assert found["excluded_usernames"] == ('["reddit_bot", "posts_bot", "admin"]', "default")
    assert {key: value for key, (value, _) in found.items() if key.startswith("weights.")} == {
        "weights.post_like": "3", "weights.post_dislike": "-1", "weights.review_upvote": "2",
        "weights.review_downvote": "-1", "weights.comment_like": "1",
        "weights.comment_dislike": "-0.5", "weights.post_created": "0.2",
        "weights.review_created": "0.3", "weights.comment_created": "0.1"}


def test_file_then_environment_then_flags(tmp_path):
    (tmp_path / "scorekeeper.toml").write_text(
        'db = "from-file.db"\nbusy_timeout_seconds = 5\n[weights]\npost_like = 2.5\n'
        "comment_like = 0.001\n", encoding="utf-8")
    env = {"SCOREKEEPER_BUSY_TIMEOUT_SECONDS": "7", "SCOREKEEPER_WEIGHTS__COMMENT_LIKE": "4"}
    found = settings(run("config", env=env).stdout)
    assert found["db"] == ("from-file.db", "file scorekeeper.toml")
    assert found["busy_timeout_seconds"] == ("7", "env SCOREKEEPER_BUSY_TIMEOUT_SECONDS")
    assert found["weights.post_like"] == ("2.5", "file scorekeeper.toml")
    assert found["weights.comment_like"][0] == "4"
    found = settings(run("config", "--db", "flag.db", env=env).stdout)
    assert found["db"] == ("flag.db", "flag")


def test_db_and_config_work_before_or_after_the_command_and_after_wins(tmp_path):
    (tmp_path / "a.toml").write_text("[weights]\npost_like = 4\n", encoding="utf-8")
    (tmp_path / "b.toml").write_text("[weights]\npost_like = 6\n", encoding="utf-8")
    assert settings(ok("--config", "a.toml", "config").stdout)["weights.post_like"][0] == "4"
    assert settings(ok("config", "--config", "b.toml").stdout)["weights.post_like"][0] == "6"
    after = ok("--config", "a.toml", "config", "--config", "b.toml").stdout
    assert settings(after)["weights.post_like"][0] == "6"
    after = ok("--db", "one.db", "config", "--db", "two.db").stdout
    assert settings(after)["db"][0] == "two.db"


def test_db_before_and_after_for_writes_and_reads(tmp_path):
    write_kind(tmp_path, "users", [(1, "ann", "Ann", "2026-01-01", None)])
    ok("--db", "one.db", "import", "users.csv")
    ok("import", "users.csv", "--db", "two.db")
    assert (tmp_path / "one.db").exists() and (tmp_path / "two.db").exists()
    assert not (tmp_path / "scorekeeper.db").exists()
    assert ok("--db", "missing.db", "export", "--db", "one.db").stdout.count("\n") == 2
    assert run("--db", "one.db", "export", "--db", "missing.db").exit_code == 3


@pytest.mark.parametrize("toml, fragment", [
    ("[weights]\npost_like = 0.0005\n", "weights.post_like"),
    ("[weights]\npost_like = 1.2345\n", "more than three decimals"),
    ("[weights]\npost_lik = 1\n", "post_lik"),
    ("busy_timeout_seconds = -1\n", "busy_timeout_seconds"),
    ("colour = true\n", "colour"),
    ("db = \n", "not valid TOML"),
])
def test_a_bad_config_file_exits_3_naming_the_key(tmp_path, toml, fragment):
    (tmp_path / "scorekeeper.toml").write_text(toml, encoding="utf-8")
    for args in (["config"], ["init"], ["export"]):
        result = run(*args)
        assert result.exit_code == 3, args
        assert result.stdout == ""
        assert result.stderr.startswith("Error: ")
        assert fragment in result.stderr


def test_a_bad_weight_in_the_environment_exits_3():
    result = run("config", env={"SCOREKEEPER_WEIGHTS__POST_LIKE": "5.0001"})
    assert result.exit_code == 3
    assert "weights.post_like = '5.0001' has more than three decimals" in result.stderr


def test_a_missing_config_file_exits_3():
    result = run("config", "--config", "nowhere.toml")
    assert result.exit_code == 3
    assert "config file nowhere.toml does not exist" in result.stderr


def test_an_unknown_environment_variable_warns():
    result = run("config", env={"SCOREKEEPER_WEIGTHS__POST_LIKE": "5"})
    assert result.exit_code == 0
    assert "Warning: ignoring unknown environment variable SCOREKEEPER_WEIGTHS__POST_LIKE" \
        in result.stderr


def test_excluded_usernames_in_the_config_replace_the_default(example_db, tmp_path):
    (tmp_path / "scorekeeper.toml").write_text('excluded_usernames = ["bob"]\n',
                                                encoding="utf-8")
    ok("recalc")
    lines = ok("export", "--as-of", "2026-11-30").stdout.splitlines()
    assert lines[1:] == ["1,1,ann,1.8,2,0,-0.5,0.3,2", "2,3,admin,0,0,0,0,0,0",
                         "2,4,cy,0,0,0,0,0,0"]
    assert run("show", "bob").exit_code == 3


def test_a_developers_own_environment_does_not_leak_in(monkeypatch):
    """The autouse fixture cleared SCOREKEEPER_*; a test that sets one sees only its own."""
    monkeypatch.setenv("SCOREKEEPER_DB", "mine.db")
    assert settings(ok("config").stdout)["db"] == ("mine.db", "env SCOREKEEPER_DB")
