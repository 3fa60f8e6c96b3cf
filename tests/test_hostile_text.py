"""Hostile text: user names that try to be markup, escape sequences, control
characters, line breaks, bidi overrides, spreadsheet formulas or SQL.

Tables show them literally (control characters escaped) and cannot be broken or
recoloured by them, in a pipe and on a terminal. CSV and JSON keep them exact;
`--excel-safe` neutralises formula prefixes in text cells only. Every value reaches
SQL as a bound parameter, so SQL-looking names and ids are stored as data.
"""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import subprocess
import unicodedata
from decimal import Decimal
from pathlib import Path

import pytest
from rich.cells import cell_len

from conftest import LISTING_HEADER, ok, run, write_kind
from db_state import clean_env, count, query, scorekeeper_command

AS_OF = ("--as-of", "2026-11-30")
NAMES = {
    1: "[bold]x",
    2: "[/]",
    3: "[red]r[/red]",
    4: "\x1b[31mred\x1b[0m",
    5: "\x1b]0;pwned\x07",  # sets the terminal's title
    6: "\x1b[2J\x1b[H",  # clears the screen
    7: "bell\x07back\x08",
    8: "new\nline",
    9: "cr\rret",
    10: "crlf\r\nx",
    11: "\u2028para\u2029",
    12: "\u202egnp.exe",  # shows as exe.png
    13: "\u2066iso\u2069",
    14: '=HYPERLINK("http://x","y")',
    15: "+1+1",
    16: "-0.5",
    17: "@SUM(A1)",
    18: "\tTAB",
    19: "\rCR",
    20: "Robert'); DROP TABLE users;--",
    21: "' OR '1'='1",
    22: 'x"; DELETE FROM user_scores; --',
    23: "Zoë 李 🚀",
    24: "e\u0301",
    25: "👨\u200d👩\u200d👧",
    26: "Smith, Jr.",
    27: " padded ",
    28: "nul\x00x",
    29: "w" * 300,
    30: ":smile: :cross_mark:",
    31: "\\x1b[31m not an escape",
    32: "ann",
}
FORMULAS = {14, 15, 16, 17, 18, 19}
RAW_SEQUENCES = ("\x1b[31mred", "\x1b]0;pwned", "\x1b[2J", "\x07", "\x08", "\x00", "\u202e",
                 "\u2066", "\u2028", "\x1b]")


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    """32 users with hostile names; user 14 (a formula) has 3.2 points, ann -0.4."""
    users = [{"id": uid, "username": name, "name": name, "created_at": "2026-01-01"}
             for uid, name in NAMES.items()]
    (tmp_path / "users.json").write_text(json.dumps(users), encoding="utf-8")
    write_kind(tmp_path, "posts", [(10, 14, "2026-10-01")])
    write_kind(tmp_path, "comments", [(30, 32, "2026-11-02")])
    write_kind(tmp_path, "likes", [(1, 1, "post", 10, 1, "2026-11-03"),
                                   (2, 1, "comment", 30, 0, "2026-11-04")])
    ok("import", "users.json", "posts.csv", "comments.csv", "likes.csv")
    return tmp_path / "scorekeeper.db"


def expected_rows() -> list[list[str]]:
    """The export, as the csv module reads it back."""
    rows = [["1", "14", NAMES[14], "3.2", "3", "0", "0", "0.2", "3"]]
    rows += [["2", str(uid), NAMES[uid], "0", "0", "0", "0", "0", "0"]
             for uid in sorted(NAMES) if uid not in (14, 32)]
    rows.append(["32", "32", "ann", "-0.4", "0", "0", "-0.5", "0.1", "-0.4"])
    return rows


def scorekeeper(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """The real entry point, stdout as bytes (text mode would turn a lone CR into LF)."""
    return subprocess.run([*scorekeeper_command(), *args], capture_output=True, timeout=60,
                          env=clean_env(**(env or {})))


def read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


# -- CSV and JSON keep the data exact ------------------------------------------------------


def test_csv_round_trips_through_the_csv_module(hostile: Path):
    done = scorekeeper("export", *AS_OF)
    assert done.returncode == 0, done.stderr
    assert not done.stdout.startswith(b"\xef\xbb\xbf")
    rows = read_csv(done.stdout)
    assert ",".join(rows[0]) == LISTING_HEADER
    assert rows[1:] == expected_rows()  # one row per user, every name exact


def test_leaderboard_and_show_csv_keep_names_exact(hostile: Path):
    rows = read_csv(scorekeeper("leaderboard", "--limit", "40", *AS_OF).stdout)
    assert rows[1:] == expected_rows()
    for uid in (4, 8, 9, 12, 20, 28):
        done = scorekeeper("show", str(uid), "--format", "csv", *AS_OF)
        assert done.returncode == 0, done.stderr
        assert read_csv(done.stdout)[1][2] == NAMES[uid]


def test_excel_safe_neutralises_formula_prefixes_and_never_numbers(hostile: Path):
    plain = read_csv(scorekeeper("export", *AS_OF).stdout)
    safe = read_csv(scorekeeper("export", "--excel-safe", *AS_OF).stdout)
    assert len(safe) == len(plain) == 33
    for before, after in zip(plain[1:], safe[1:]):
        uid = int(before[1])
        assert after[:2] == before[:2] and after[3:] == before[3:]  # numbers untouched
        if uid in FORMULAS:
            assert after[2] == "'" + NAMES[uid]
        else:
            assert after[2] == NAMES[uid]
    ann = next(row for row in safe if row[1] == "32")
    assert ann[3] == "-0.4" and ann[6] == "-0.5" and ann[8] == "-0.4"


def test_json_keeps_names_exact_and_numbers_as_numbers(hostile: Path):
    done = scorekeeper("export", "--format", "json", *AS_OF)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout.decode("utf-8"), parse_float=Decimal)
    assert [(row["user_id"], row["username"]) for row in data] == [
        (int(row[1]), row[2]) for row in expected_rows()]
    ann = data[-1]
    assert ann["comment_likes_score"] == Decimal("-0.5") and ann["total_score"] == Decimal("-0.4")
    assert all(type(row["rank"]) is int for row in data)


# -- tables print names literally and cannot be broken by them ------------------------------


def _names_shown(output: str) -> None:
    for shown in ("[bold]x", "[/]", "[red]r[/red]", "\\x1b[31mred\\x1b[0m", "new\\nline",
                  "cr\\rret", "\\u202egnp.exe", ":smile: :cross_mark:", "Zoë 李 🚀",
                  "Robert'); DROP TABLE users;--", "\\x1b[31m not an escape"):
        assert shown in output, shown


def test_a_table_in_a_pipe_is_plain_aligned_and_literal(hostile: Path):
    done = scorekeeper("export", "--format", "table", *AS_OF)
    assert done.returncode == 0, done.stderr
    output = done.stdout.decode("utf-8")
    lines = output.split("\n")
    assert lines.pop() == ""
    assert len(lines) == 33  # the header and one line per user: no name broke a line
    for raw in RAW_SEQUENCES:
        assert raw not in output, repr(raw)
    assert all(c.isprintable() and unicodedata.category(c) != "Cf" for c in "".join(lines))
    # Every column is aligned (in terminal cells): the right-aligned last column ends
    # each line at the same place, and each user's id sits in the same cells.
    assert len({cell_len(line) for line in lines}) == 1
    _names_shown(output)


def on_a_terminal(*args: str, columns: int = 400) -> tuple[int, str, str]:
    """Run the real entry point with stdout on a pseudo-terminal."""
    master, slave = pty.openpty()
    env = clean_env(COLUMNS=str(columns), LINES="60", TERM="xterm-256color")
    env.pop("NO_COLOR", None)
    child = subprocess.Popen([*scorekeeper_command(), *args], stdin=subprocess.DEVNULL,
                             stdout=slave, stderr=subprocess.PIPE, env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    error = child.stderr.read().decode("utf-8", "replace")
    child.stderr.close()
    return child.wait(timeout=60), b"".join(chunks).decode("utf-8", "replace"), error


def test_a_table_on_a_terminal_is_literal_and_not_hijacked(hostile: Path):
    code, output, error = on_a_terminal("leaderboard", "--limit", "40", *AS_OF)
    assert code == 0, error
    assert "Traceback" not in error and "MarkupError" not in error
    for raw in RAW_SEQUENCES:
        assert raw not in output, repr(raw)
    _names_shown(output)
    assert "\U0001f604" not in output and "\u274c" not in output  # :smile: stays text


@pytest.mark.parametrize("uid", [1, 2, 3, 4, 5, 8, 12, 28])
def test_show_on_a_terminal_puts_the_name_in_its_title_literally(hostile: Path, uid: int):
    code, output, error = on_a_terminal("show", str(uid), *AS_OF)
    assert code == 0, error
    assert "Traceback" not in error
    for raw in RAW_SEQUENCES:
        assert raw not in output, repr(raw)
    shown = "".join(c if c.isprintable() and unicodedata.category(c) != "Cf"
                    else c.encode("unicode_escape").decode() for c in NAMES[uid])
    assert f"{shown} (user {uid})" in output


# -- SQL-looking text is stored and matched as data ----------------------------------------


def test_sql_looking_names_are_stored_verbatim(hostile: Path):
    assert dict(query(hostile, "SELECT id, username FROM users")) == NAMES
    tables = {name for (name,) in query(hostile, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"users", "posts", "comments", "likes", "review_votes", "user_scores"} <= tables
    assert count(hostile, "user_scores") == 32


def test_show_matches_a_sql_looking_name_exactly(hostile: Path):
    found = run("show", "--username", "' OR '1'='1", "--format", "csv", *AS_OF)
    assert found.exit_code == 0, found.stderr
    assert [row[1] for row in read_csv(found.stdout.encode())[1:]] == ["21"]
    for nobody in ("nobody' OR '1'='1", "1 OR 1=1", "ann'--", "%", "_"):
        missed = run("show", nobody, *AS_OF)
        assert missed.exit_code == 3, (nobody, missed.stderr)
        assert missed.stdout == ""


@pytest.mark.parametrize("option, value", [
    ("--id", "1 OR 1=1"), ("--id", "1; DROP TABLE likes"), ("--likeable-id", "10) OR (1=1"),
    ("--user-id", "0x10"), ("--likeable-type", "post' OR '1'='1"),
])
def test_sql_looking_ids_and_values_are_refused_as_bad_values(hostile: Path, option: str, value: str):
    fields = {"--id": "90", "--user-id": "2", "--likeable-type": "post", "--likeable-id": "10",
              "--is-like": "true", "--created-at": "2026-11-20", option: value}
    result = run("hook", "like.created", *[part for item in fields.items() for part in item])
    assert result.exit_code == 3, result.stderr
    assert f"value {value!r}" in result.stderr
    assert count(hostile, "likes") == 2


def test_sql_looking_event_ids_and_names_from_hooks_are_data(hostile: Path):
    event = {"event": "user.created", "event_id": "e'); DELETE FROM seen_events; --",
             "id": 40, "username": "x'); DROP TABLE likes; --", "name": "'; --",
             "created_at": "2026-01-01"}
    for _ in range(2):  # the second is a replay, skipped by its event_id
        ok("hook", "user.created", "--json", json.dumps(event))
    assert query(hostile, "SELECT event_id FROM seen_events") == [(event["event_id"],)]
    assert query(hostile, "SELECT username, name FROM users WHERE id = 40") == [
        (event["username"], event["name"])]
    assert count(hostile, "likes") == 2
    assert run("recalc", "--check").exit_code == 0


def test_a_sql_looking_excluded_username_excludes_that_user_only(hostile: Path, tmp_path: Path):
    (tmp_path / "scorekeeper.toml").write_text(
        'excluded_usernames = ["\' OR \'1\'=\'1", "nobody\\" OR 1=1 --"]\n', encoding="utf-8")
    ok("recalc")
    rows = read_csv(scorekeeper("export", *AS_OF).stdout)
    assert sorted(int(row[1]) for row in rows[1:]) == [uid for uid in sorted(NAMES) if uid != 21]


@pytest.mark.parametrize("name", ["we'ird \"db\".db", "what?.db", "hash#tag.db", "100%.db",
                                  "semi;colon.db"])
def test_database_paths_with_uri_and_sql_characters(tmp_path: Path, name: str):
    folder = tmp_path / "odd path"
    folder.mkdir()
    db = folder / name
    write_kind(tmp_path, "users", [(1, "ann", None, "2026-01-01", None)])
    ok("--db", db, "import", "users.csv")
    assert db.is_file()
    done = scorekeeper("--db", str(db), "export", *AS_OF)  # the quick path opens it by URI
    assert done.returncode == 0, done.stderr
    assert read_csv(done.stdout)[1][2] == "ann"
    assert run("--db", db, "leaderboard", *AS_OF).exit_code == 0
    # No file under a name cut at '?' or '#' (the URI's query and fragment).
    assert {p.name for p in folder.iterdir()} <= {name, f"{name}-wal", f"{name}-shm"}
