"""Bad input, one catalogue: every way a file, a setting or a variable can be wrong.

Each bad case must stop with one `Error:` line that names what is wrong (file,
line or record, column, value), exit with SPEC.md's code (3 data and config,
2 usage) and leave the database exactly as it was. `--skip-invalid` must lose
nothing: good rows stored plus rows in the rejects file make the whole file.
Awkward but valid input must be stored exactly.
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import EXAMPLE_EXPORT, ok, run, run_process, write_example
from db_state import count, dump, query

POSTS = b"id,user_id,created_at\n"
LIKES = b"id,user_id,likeable_type,likeable_id,is_like,created_at\n"
VOTES = b"id,user_id,review_id,vote_type,created_at\n"
USERS = b"id,username,name,created_at,is_bot\n"
GOOD_POST = b"100,1,2026-11-20T10:00:00Z\n"
SE_MINI = {name: (Path(__file__).parent / "data" / "se-mini" / name).read_bytes()
           for name in ("Users.xml", "Posts.xml", "Votes.xml", "Comments.xml")}
POST_JSON = b'{"id": 100, "user_id": 1, "created_at": "2026-11-20"}'


@dataclass
class Case:
    id: str
    files: dict[str, bytes | None]  # name in the input folder -> content (None: a folder)
    args: tuple[str, ...]
    code: int
    fragments: tuple[str, ...]  # each must appear in stderr
    env: dict[str, str] = field(default_factory=dict)
    fresh: bool = False  # an empty, initialised database instead of the worked example


def _import(name: str, *options: str) -> tuple[str, ...]:
    return ("import", *options, f"in/{name}")


def _dump_with(name: str, content: bytes | None) -> dict[str, bytes | None]:
    """The mini Stack Exchange dump in in/se, with one file replaced (None: left out)."""
    files = {f"se/{n}": data for n, data in SE_MINI.items()}
    if content is None:
        del files[f"se/{name}"]
    else:
        files[f"se/{name}"] = content
    return files


SE = ("import-stackexchange", "in/se")


BAD = [
    # -- the file itself -------------------------------------------------------
    Case("missing-file", {}, _import("posts.csv"), 3, ("in/posts.csv", "no such file")),
    Case("folder-not-file", {"posts.csv": None}, _import("posts.csv"), 3,
         ("in/posts.csv", "is a folder")),
    Case("zero-bytes", {"posts.csv": b""}, _import("posts.csv"), 3,
         ("in/posts.csv", "empty (0 bytes)")),
    Case("bom-only-no-header", {"posts.csv": b"\xef\xbb\xbf"}, _import("posts.csv"), 3,
         ("in/posts.csv", "no header row", "id,user_id,created_at")),
    Case("unknown-kind-from-name", {"stuff.csv": POSTS + GOOD_POST}, _import("stuff.csv"), 3,
         ("in/stuff.csv", "cannot tell the kind", "--kind")),
    Case("unknown-kind-option", {"posts.csv": POSTS + GOOD_POST},
         _import("posts.csv", "--kind", "stuff"), 2, ("--kind 'stuff'", "users, posts")),
    Case("unknown-format", {"posts.txt": POSTS + GOOD_POST}, _import("posts.txt"), 3,
         ("in/posts.txt", "unknown format '.txt'", ".csv")),
    Case("invalid-utf8", {"posts.csv": POSTS + GOOD_POST + b"101,1,2026-11-20\xff\n"},
         _import("posts.csv"), 3,
         ("in/posts.csv", "not valid UTF-8", "line 3", "byte offset 65", "\\xff")),
    Case("latin1-name", {"users.csv": USERS + b"9,zo\xeb,Zo\xeb,2026-01-01,\n"},
         _import("users.csv"), 3, ("in/users.csv", "not valid UTF-8", "line 2", "\\xeb")),
    # -- columns -----------------------------------------------------------------
    Case("missing-column", {"posts.csv": b"id,created_at\n100,2026-11-20\n"},
         _import("posts.csv"), 3, ("in/posts.csv", "user_id", "missing")),
    Case("missing-columns-semicolons", {"posts.csv": b"id;user_id;created_at\n100;1;2026-11-20\n"},
         _import("posts.csv"), 3, ("in/posts.csv", "id, user_id, created_at are missing")),
    Case("near-miss-isBot", {"users.csv": b"id,username,name,created_at,isBot\n9,zed,,2026-01-01,0\n"},
         _import("users.csv"), 3, ("in/users.csv", "'isBot'", "did you mean 'is_bot'")),
    Case("near-miss-User-Id", {"posts.csv": b"id,User-Id,created_at\n100,1,2026-11-20\n"},
         _import("posts.csv"), 3, ("in/posts.csv", "'User-Id'", "did you mean 'user_id'")),
    Case("near-miss-json-field", {"posts.ndjson": b'{"ID": 100, "user_id": 1, "created_at": "2026-11-20"}\n'},
         _import("posts.ndjson"), 3, ("in/posts.ndjson", "line 1", "'ID'", "did you mean 'id'")),
    # -- values --------------------------------------------------------------------
    Case("id-not-integer", {"posts.csv": POSTS + GOOD_POST + b"x1,1,2026-11-20\n"},
         _import("posts.csv"), 3, ("in/posts.csv", "line 3", "column id", "'x1'", "not an integer")),
    Case("id-decimal", {"likes.csv": LIKES + b"50,1.5,post,10,1,2026-11-20\n"},
         _import("likes.csv"), 3, ("in/likes.csv", "line 2", "column user_id", "'1.5'")),
    Case("id-over-64-bits", {"posts.csv": POSTS + b"9223372036854775808,1,2026-11-20\n"},
         _import("posts.csv"), 3,
         ("in/posts.csv", "line 2", "column id", "'9223372036854775808'", "64-bit")),
    Case("id-under-64-bits", {"posts.csv": POSTS + b"-9223372036854775809,1,2026-11-20\n"},
         _import("posts.csv"), 3, ("line 2", "column id", "'-9223372036854775809'", "64-bit")),
    Case("id-json-float", {"posts.json": b'[{"id": 100.0, "user_id": 1, "created_at": "2026-11-20"}]'},
         _import("posts.json"), 3, ("in/posts.json", "record 1", "column id", "100.0")),
    Case("id-json-boolean", {"posts.json": b'[{"id": true, "user_id": 1, "created_at": "2026-11-20"}]'},
         _import("posts.json"), 3, ("in/posts.json", "record 1", "column id", "True", "boolean")),
    Case("id-missing-value", {"posts.csv": POSTS + b",1,2026-11-20\n"}, _import("posts.csv"), 3,
         ("in/posts.csv", "line 2", "column id", "missing")),
    Case("duplicate-id", {"posts.csv": POSTS + GOOD_POST + b"101,1,2026-11-20\n100,2,2026-11-21\n"},
         _import("posts.csv"), 3,
         ("in/posts.csv", "line 4", "column id", "value 100", "twice", "first at line 2")),
    Case("duplicate-id-empty-table", {"posts.csv": POSTS + GOOD_POST + b"101,1,2026-11-20\n100,2,2026-11-21\n"},
         _import("posts.csv"), 3,
         ("in/posts.csv", "line 4", "column id", "value 100", "twice", "first at line 2"), fresh=True),
    Case("duplicate-id-json", {"posts.json": b"[" + POST_JSON + b"," + POST_JSON + b"]"},
         _import("posts.json"), 3, ("in/posts.json", "record 2", "column id", "value 100", "record 1")),
    Case("bad-boolean", {"likes.csv": LIKES + b"50,1,post,10,maybe,2026-11-20\n"},
         _import("likes.csv"), 3, ("in/likes.csv", "line 2", "column is_like", "'maybe'", "true/false")),
    Case("bad-is-bot", {"users.csv": USERS + b"9,zed,Zed,2026-01-01,perhaps\n"},
         _import("users.csv"), 3, ("in/users.csv", "line 2", "column is_bot", "'perhaps'")),
    Case("bad-month", {"posts.csv": POSTS + b"100,1,2026-13-01\n"}, _import("posts.csv"), 3,
         ("in/posts.csv", "line 2", "column created_at", "'2026-13-01'", "ISO 8601")),
    Case("bad-hour", {"posts.csv": POSTS + b"100,1,2026-11-30T24:30:00Z\n"}, _import("posts.csv"), 3,
         ("line 2", "column created_at", "'2026-11-30T24:30:00Z'")),
    Case("bad-time-words", {"likes.csv": LIKES + b"50,1,post,10,1,yesterday\n"},
         _import("likes.csv"), 3, ("in/likes.csv", "line 2", "column created_at", "'yesterday'")),
    Case("bad-time-json-number", {"posts.json": b'[{"id": 100, "user_id": 1, "created_at": 20261120}]'},
         _import("posts.json"), 3, ("in/posts.json", "record 1", "column created_at", "20261120")),
    Case("bad-likeable-type", {"likes.csv": LIKES + b"50,1,review,10,1,2026-11-20\n"},
         _import("likes.csv"), 3, ("in/likes.csv", "line 2", "column likeable_type", "'review'", "post or comment")),
    Case("bad-likeable-class", {"likes.csv": LIKES + b"50,1,App\\Models\\User,10,1,2026-11-20\n"},
         _import("likes.csv"), 3, ("line 2", "column likeable_type", "'App\\\\Models\\\\User'")),
    Case("bad-vote-type", {"review_votes.csv": VOTES + b"50,1,20,sideways,2026-11-20\n"},
         _import("review_votes.csv"), 3,
         ("in/review_votes.csv", "line 2", "column vote_type", "'sideways'", "up or down")),
    # -- structure ---------------------------------------------------------------------
    Case("json-object-not-array", {"posts.json": POST_JSON}, _import("posts.json"), 3,
         ("in/posts.json", "one array")),
    Case("json-string-not-array", {"posts.json": b'"posts"'}, _import("posts.json"), 3,
         ("in/posts.json", "one array")),
    Case("json-array-of-numbers", {"posts.json": b"[100, 101]"}, _import("posts.json"), 3,
         ("in/posts.json", "record 1", "100", "not an object")),
    Case("json-text-after-array", {"posts.json": b"[" + POST_JSON + b"] []"}, _import("posts.json"), 3,
         ("in/posts.json", "after the array")),
    Case("ndjson-one-bad-line", {"posts.ndjson": POST_JSON + b"\n{\"id\": 101, \"user_id\": 1\n" + POST_JSON.replace(b"100", b"102") + b"\n"},
         _import("posts.ndjson"), 3, ("in/posts.ndjson", "line 2", "not valid JSON", '{"id": 101')),
    Case("ndjson-array-line", {"posts.ndjson": POST_JSON + b"\n[101, 1]\n"}, _import("posts.ndjson"), 3,
         ("in/posts.ndjson", "line 2", "[101, 1]", "not an object")),
    Case("truncated-csv-row", {"posts.csv": POSTS + GOOD_POST + b"101,1"}, _import("posts.csv"), 3,
         ("in/posts.csv", "line 3", "'101,1'", "2 values where the header has 3")),
    Case("truncated-csv-quote", {"posts.csv": POSTS + GOOD_POST + b'101,1,"2026-11'}, _import("posts.csv"), 3,
         ("in/posts.csv", "line 3", "column created_at", "'2026-11'")),
    Case("csv-row-too-long", {"posts.csv": POSTS + b"100,1,2026-11-20,extra\n"}, _import("posts.csv"), 3,
         ("in/posts.csv", "line 2", "4 values where the header has 3")),
    Case("truncated-json-in-record", {"posts.json": b"[" + POST_JSON + b', {"id": 101, "user_'},
         _import("posts.json"), 3, ("in/posts.json", "record 2", "not valid JSON")),
    Case("truncated-json-after-comma", {"posts.json": b"[" + POST_JSON + b","},
         _import("posts.json"), 3, ("in/posts.json", "ends early after record 1", "truncated")),
    # -- Stack Exchange dumps ----------------------------------------------------------------
    Case("se-no-folder", {}, SE, 3, ("in/se", "no such folder", "Users.xml")),
    Case("se-file-missing", _dump_with("Votes.xml", None), SE, 3,
         ("Votes.xml", "missing from in/se", "nothing of the dump was stored")),
    Case("se-truncated-xml", _dump_with("Posts.xml", SE_MINI["Posts.xml"][:400]), SE, 3,
         ("Posts.xml line 6", "invalid XML", "nothing of the dump was stored")),
    Case("se-not-xml", _dump_with("Comments.xml", b"\x89PNG\x00binary"), SE, 3,
         ("Comments.xml line 1", "invalid XML")),
    Case("se-wrong-root", _dump_with("Users.xml", SE_MINI["Users.xml"].replace(b"users>", b"people>")),
         SE, 3, ("Users.xml", "root element is <people>", "expected <users>")),
    Case("se-bad-id", _dump_with("Posts.xml", SE_MINI["Posts.xml"].replace(b'Id="11"', b'Id="eleven"', 1)),
         SE, 3, ("Posts.xml row 2", "Id 'eleven'", "not an integer")),
    Case("se-bad-date", _dump_with("Votes.xml", SE_MINI["Votes.xml"].replace(
        b'CreationDate="2011-02-01T00:00:00.000"', b'CreationDate="last tuesday"', 1)),
         SE, 3, ("Votes.xml row 1", "CreationDate 'last tuesday'", "ISO 8601")),
    # -- the command line ----------------------------------------------------------------
    Case("replace-with-skip-invalid", {"posts.csv": POSTS + GOOD_POST},
         _import("posts.csv", "--replace", "--skip-invalid"), 2, ("--replace", "--skip-invalid")),
    Case("rejects-with-two-files", {"posts.csv": POSTS + GOOD_POST, "comments.csv": POSTS},
         ("import", "--skip-invalid", "--rejects", "r.csv", "in/posts.csv", "in/comments.csv"), 2,
         ("--rejects", "one file")),
    # -- settings ----------------------------------------------------------------------
    Case("config-missing", {}, ("--config", "in/nope.toml", "recalc"), 3,
         ("in/nope.toml", "does not exist")),
    Case("config-not-toml", {"s.toml": b"weights = [\n"}, ("--config", "in/s.toml", "recalc"), 3,
         ("in/s.toml", "not valid TOML")),
    Case("config-unknown-key", {"s.toml": b"busy_timeout = 5\n"}, ("--config", "in/s.toml", "recalc"), 3,
         ("in/s.toml", "busy_timeout", "not a known setting")),
    Case("config-unknown-weight", {"s.toml": b"[weights]\npost_likes = 3\n"},
         ("--config", "in/s.toml", "recalc"), 3, ("weights.post_likes", "not a known setting")),
    Case("config-wrong-type", {"s.toml": b'busy_timeout_seconds = "soon"\n'},
         ("--config", "in/s.toml", "recalc"), 3, ("busy_timeout_seconds", "'soon'")),
    Case("config-weight-not-number", {"s.toml": b'[weights]\npost_like = "three"\n'},
         ("--config", "in/s.toml", "recalc"), 3, ("weights.post_like", "'three'", "not a number")),
    Case("config-weight-four-decimals", {"s.toml": b"[weights]\npost_created = 0.2001\n"},
         ("--config", "in/s.toml", "recalc"), 3, ("weights.post_created", "0.2001", "three decimals")),
    Case("config-excluded-not-list", {"s.toml": b'excluded_usernames = 5\n'},
         ("--config", "in/s.toml", "recalc"), 3, ("excluded_usernames", "5")),
    Case("env-wrong-type", {}, ("recalc",), 3, ("busy_timeout_seconds", "'soon'"),
         env={"SCOREKEEPER_BUSY_TIMEOUT_SECONDS": "soon"}),
    Case("env-weight-four-decimals", {}, ("recalc",), 3, ("weights.post_like", "three decimals"),
         env={"SCOREKEEPER_WEIGHTS__POST_LIKE": "3.0001"}),
    # A misspelled weight below SCOREKEEPER_WEIGHTS__ is refused rather than warned
    # about: ignoring it would silently score with a weight the operator meant to change.
    Case("env-misspelled-weight", {}, ("recalc",), 3, ("weights.post_lik", "not a known setting"),
         env={"SCOREKEEPER_WEIGHTS__POST_LIK": "5"}),
]


def _prepare(tmp_path: Path, case: Case) -> Path:
    db = tmp_path / "scorekeeper.db"
    if case.fresh:
        ok("init")
    else:
        ok("import", *write_example(tmp_path))
    folder = tmp_path / "in"
    folder.mkdir()
    for name, content in case.files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        if content is None:
            (folder / name).mkdir()
        else:
            (folder / name).write_bytes(content)
    return db


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in BAD])
def test_bad_input_is_refused_and_changes_nothing(case: Case, tmp_path: Path):
    db = _prepare(tmp_path, case)
    before = dump(db)

    result = run(*case.args, env=case.env)

    assert result.exception is None, repr(result.exception)
    assert result.exit_code == case.code, result.stderr
    assert result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    if case.code == 3:  # our own errors; Typer draws usage errors its own way
        assert len(errors) == 1, result.stderr
    for fragment in case.fragments:
        assert fragment in result.stderr, f"{fragment!r} not in {result.stderr!r}"
    assert dump(db) == before
    assert not list((tmp_path / "in").glob("*.rejects.csv"))


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in BAD
                                  if c.id in ("duplicate-id", "unknown-kind-option",
                                              "config-weight-four-decimals")])
def test_the_real_entry_point_gives_the_same_exit_codes(case: Case, tmp_path: Path):
    db = _prepare(tmp_path, case)
    before = dump(db)
    result = run_process(*case.args, env=case.env)
    assert result.exit_code == case.code, result.stderr
    assert "Traceback" not in result.stderr
    assert dump(db) == before


def test_an_unreadable_file_names_the_file(tmp_path: Path):
    if os.geteuid() == 0:
        pytest.skip("running as root, which reads a chmod 000 file anyway; "
                    "the folder-not-file case covers a path that cannot be read")
    ok("import", *write_example(tmp_path))
    path = tmp_path / "posts-locked.csv"
    path.write_bytes(POSTS + GOOD_POST)
    path.chmod(0)
    before = dump(tmp_path / "scorekeeper.db")
    result = run("import", path.name)
    assert result.exit_code == 3
    assert "posts-locked.csv" in result.stderr and "permission denied" in result.stderr
    assert dump(tmp_path / "scorekeeper.db") == before


def test_a_bad_file_keeps_the_files_before_it_and_stops(tmp_path: Path):
    """Each file is one transaction: the good file before stays, the rest is not read."""
    ok("init")
    (tmp_path / "posts.csv").write_bytes(POSTS + GOOD_POST)
    (tmp_path / "comments.csv").write_bytes(POSTS + b"300,1,not-a-time\n")
    (tmp_path / "reviews.csv").write_bytes(POSTS + b"200,1,2026-11-20\n")
    result = run("import", "posts.csv", "comments.csv", "reviews.csv")
    assert result.exit_code == 3
    assert "comments.csv line 2: column created_at: value 'not-a-time'" in result.stderr
    db = tmp_path / "scorekeeper.db"
    assert (count(db, "posts"), count(db, "comments"), count(db, "reviews")) == (1, 0, 0)


# -- misspelled variables: a warning, and the command still does its job ----------------


@pytest.mark.parametrize("name", ["SCOREKEEPER_BUSY_TIMEOUT", "SCOREKEEPER_DATABASE",
                                  "scorekeeper_weights_post_like", "SCOREKEEPER_EXCLUDED"])
def test_a_misspelled_variable_is_a_warning(name: str, tmp_path: Path):
    ok("import", *write_example(tmp_path))
    result = run("export", "--as-of", "2026-11-30", env={name: "5"})
    assert result.exit_code == 0, result.stderr
    assert result.stdout == EXAMPLE_EXPORT
    assert f"Warning: ignoring unknown environment variable {name}" in result.stderr
    assert "SCOREKEEPER_BUSY_TIMEOUT_SECONDS" in result.stderr  # the known names are listed


# -- --skip-invalid loses nothing ---------------------------------------------------------


@dataclass
class Mixed:
    id: str
    name: str
    content: bytes
    good: int
    rejected: tuple[tuple[str, str], ...]  # (where, a fragment of the reason)
    fresh: bool = False


MIXED = [
    Mixed("csv-values", "likes.csv",
          LIKES + b"50,1,post,10,1,2026-11-20\n51,1,review,10,1,2026-11-20\n52,x,post,10,1,2026-11-20\n"
          b"53,2,comment,30,no,2026-11-20\n54,2,post,10,maybe,2026-11-20\n55,2,post,10,1,\n",
          2, (("line 3", "likeable_type"), ("line 4", "column user_id"),
              ("line 6", "column is_like"), ("line 7", "column created_at"))),
    Mixed("csv-duplicates", "posts.csv",
          POSTS + GOOD_POST + b"101,1,2026-11-20\n100,2,2026-11-21\n101,3,2026-11-22\n",
          2, (("line 4", "first at line 2"), ("line 5", "first at line 3"))),
    Mixed("csv-duplicates-empty-table", "posts.csv",
          POSTS + GOOD_POST + b"101,1,2026-11-20\n100,2,2026-11-21\n",
          2, (("line 4", "first at line 2"),), fresh=True),
    Mixed("csv-truncated", "posts.csv", POSTS + GOOD_POST + b"101,1",
          1, (("line 3", "2 values where the header has 3"),)),
    Mixed("csv-quoted-newlines", "users.csv",
          USERS + b'9,"zed\nzed","Z, Jr.",2026-01-01,\n10,"yan","Y\n",2026-01-01,maybe\n'
          b'11,"xi","X",2026-01-01,no\n',
          2, (("line 4", "column is_bot"),)),
    Mixed("ndjson-bad-line", "posts.ndjson",
          POST_JSON + b'\n{"id": 101, "user_id": 1\n[1, 2]\n\n' + POST_JSON.replace(b"100", b"102") + b"\n",
          2, (("line 2", "not valid JSON"), ("line 3", "not an object"))),
    Mixed("json-records", "review_votes.json",
          b'[{"id": 60, "user_id": null, "review_id": 20, "vote_type": "up", "created_at": "2026-11-20"},'
          b' 7, {"id": 61, "user_id": 1, "review_id": 20, "vote_type": "meh", "created_at": "2026-11-20"}]',
          1, (("record 2", "not an object"), ("record 3", "column vote_type"))),
]


def _rows_in(name: str, content: bytes) -> int:
    text = content.decode("utf-8-sig")
    if name.endswith(".csv"):
        return len(list(csv.reader(io.StringIO(text, newline="")))) - 1
    if name.endswith(".ndjson"):
        return sum(1 for line in text.splitlines() if line.strip())
    return len(json.loads(text))


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in MIXED])
def test_skip_invalid_keeps_every_rejected_row_with_its_reason(case: Mixed, tmp_path: Path):
    if case.fresh:
        ok("init")
    else:
        ok("import", *write_example(tmp_path))
    db = tmp_path / "scorekeeper.db"
    kind = case.name.split(".")[0]
    before = count(db, kind)
    path = tmp_path / "in" / case.name
    path.parent.mkdir()
    path.write_bytes(case.content)

    result = run("import", "--skip-invalid", f"in/{case.name}")

    assert result.exit_code == 0, result.stderr
    rejects = path.with_name(case.name.split(".")[0] + ".rejects.csv")
    assert f"{len(case.rejected)} rejected, see {rejects.relative_to(tmp_path)}" in result.stderr
    with open(rejects, encoding="utf-8", newline="") as handle:
        rejected = list(csv.DictReader(handle))
    assert [(r["rejected_record"], frag in r["reject_reason"]) for r, (_, frag)
            in zip(rejected, case.rejected)] == [(where, True) for where, _ in case.rejected]
    assert len(rejected) == len(case.rejected)
    stored = count(db, kind) - before
    assert stored == case.good
    assert stored + len(rejected) == _rows_in(case.name, case.content)


def test_skip_invalid_rejects_keep_the_values_as_given(tmp_path: Path):
    ok("init")
    (tmp_path / "likes.csv").write_bytes(LIKES + b"50,=cmd(),Post,10,maybe,2026-11-20 10:00\n")
    result = run("import", "--skip-invalid", "likes.csv")
    assert result.exit_code == 0, result.stderr
    with open(tmp_path / "likes.rejects.csv", encoding="utf-8", newline="") as handle:
        (row,) = list(csv.DictReader(handle))
    assert [row[c] for c in ("id", "user_id", "likeable_type", "likeable_id", "is_like",
                             "created_at")] == ["50", "=cmd()", "Post", "10", "maybe",
                                                "2026-11-20 10:00"]
    assert row["reject_reason"].startswith("column user_id: value '=cmd()'")


# -- awkward but valid input is stored exactly ----------------------------------------------


@dataclass
class Valid:
    id: str
    name: str
    content: bytes
    sql: str
    expected: list[tuple]


VALID = [
    Valid("bom-crlf-quoted-newline-and-comma", "users.csv",
          b"\xef\xbb\xbf" + USERS.replace(b"\n", b"\r\n")
          + b'7,"com,munity","two\r\nlines",2026-01-01,\r\n8,"say ""hi""",,2026-01-02,YES\r\n',
          "SELECT id, username, name, created_at, is_bot FROM users ORDER BY id",
          [(7, "com,munity", "two\r\nlines", "2026-01-01T00:00:00", 0),
           (8, 'say "hi"', None, "2026-01-02T00:00:00", 1)]),
    Valid("header-without-rows", "posts.csv", POSTS, "SELECT COUNT(*) FROM posts", [(0,)]),
    Valid("header-without-rows-crlf-bom", "comments.csv", b"\xef\xbb\xbfid,user_id,created_at\r\n",
          "SELECT COUNT(*) FROM comments", [(0,)]),
    Valid("empty-json-array", "reviews.json", b" [ ]\n", "SELECT COUNT(*) FROM reviews", [(0,)]),
    Valid("negative-ids", "users.csv", USERS + b"-1,Community,,2010-01-01,\n",
          "SELECT id, username FROM users", [(-1, "Community")]),
    Valid("64-bit-extremes", "posts.csv",
          POSTS + b"9223372036854775807,-9223372036854775808,2026-11-20\n+5, 6 ,2026-11-20\n",
          "SELECT id, user_id FROM posts ORDER BY id",
          [(5, 6), (9223372036854775807, -9223372036854775808)]),
    Valid("dates-times-offsets", "posts.csv",
          POSTS + b"1,1,2026-11-30\n2,1,2026-11-30 12:00:00.123+02:00\n3,1,2026-10-31T23:30:00-05:00\n"
          b"4,1,2026-11-30T23:59:59.999999Z\n5,1,2026-11-30T12:00:00\n",
          "SELECT id, created_at FROM posts ORDER BY id",
          [(1, "2026-11-30T00:00:00"), (2, "2026-11-30T10:00:00.123000"),
           (3, "2026-11-01T04:30:00"), (4, "2026-11-30T23:59:59.999999"),
           (5, "2026-11-30T12:00:00")]),
    Valid("likeable-types-and-booleans", "likes.csv",
          LIKES + b"1,,App\\Models\\Post,10,TRUE,2026-11-20\n2,3,COMMENT,30,No,2026-11-20\n"
          b"3,2,post,10,0,2026-11-20\n",
          "SELECT id, user_id, likeable_type, is_like FROM likes ORDER BY id",
          [(1, None, "post", 1), (2, 3, "comment", 0), (3, 2, "post", 0)]),
    Valid("vote-type-any-case", "review_votes.jsonl",
          b'{"id": 1, "user_id": null, "review_id": 20, "vote_type": "UP", "created_at": "2026-11-20"}\n\n'
          b'{"id": 2, "user_id": 1, "review_id": 20, "vote_type": "Down", "created_at": "2026-11-20"}\r\n',
          "SELECT id, user_id, vote_type FROM review_votes ORDER BY id", [(1, None, "up"), (2, 1, "down")]),
    Valid("dated-file-name", "likes-2026-11-30.csv", LIKES + b"1,1,post,10,1,2026-11-20\n",
          "SELECT id FROM likes", [(1,)]),
    Valid("unicode-names", "users.json",
          '[{"id": 9, "username": "Zoë 李 🚀", "name": "\\u202eevil", "created_at": "2026-01-01", "is_bot": false}]'.encode(),
          "SELECT username, name FROM users", [("Zoë 李 🚀", "\u202eevil")]),
]


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in VALID])
def test_awkward_valid_input_is_stored_exactly(case: Valid, tmp_path: Path):
    ok("init")
    (tmp_path / case.name).write_bytes(case.content)
    result = run("import", case.name)
    assert result.exit_code == 0, result.stderr
    assert "Error" not in result.stderr
    assert query(tmp_path / "scorekeeper.db", case.sql) == case.expected


def test_extra_columns_are_ignored_with_one_warning(tmp_path: Path):
    ok("init")
    (tmp_path / "posts.csv").write_bytes(b"id,user_id,created_at,title\n1,1,2026-11-20,a\n2,1,2026-11-20,b\n")
    result = run("import", "posts.csv")
    assert result.exit_code == 0
    assert result.stderr.count("Warning:") == 1 and "'title'" in result.stderr
    assert count(tmp_path / "scorekeeper.db", "posts") == 2
