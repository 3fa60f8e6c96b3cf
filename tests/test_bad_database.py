"""Databases that are not what scorekeeper expects: not SQLite, another application's,
damaged, from a newer scorekeeper, read-only, on a full disk, or locked by a writer.

Every case ends in one `Error:` line that says what to do, SPEC.md's exit code
(3 for a bad database file, 4 for a database busy past the busy timeout) and a
database left exactly as it was. Commands that only read keep working wherever
reading is possible.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conftest import EXAMPLE_EXPORT, ok, run, run_process, write_example, write_kind
from db_state import clean_env, count, dump, integrity, query, scorekeeper_command
from scorekeeper import hooks, importer

AS_OF = ("--as-of", "2026-11-30")
READS = [("export", *AS_OF), ("leaderboard", *AS_OF), ("show", "ann", *AS_OF),
         ("recalc", "--check")]
LIKE = ("hook", "like.created", "--id", "90", "--user-id", "2", "--likeable-type", "post",
        "--likeable-id", "10", "--is-like", "true", "--created-at", "2026-11-20")
WRITES = [("recalc",), ("import", "extra/posts.csv"), LIKE, ("calculate", "--user-id", "1")]


@pytest.fixture
def extra(tmp_path: Path) -> Path:
    """A small valid file for the writing commands to import."""
    folder = tmp_path / "extra"
    folder.mkdir()
    write_kind(folder, "posts", [(12, 1, "2026-11-20")])
    return folder


# -- not a scorekeeper database -------------------------------------------------------


def _not_sqlite(path: Path) -> None:
    path.write_bytes(b"name,score\nann,3\n" * 300)


def _empty_file(path: Path) -> None:
    path.write_bytes(b"")


def _other_application(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE users (login TEXT, password_hash TEXT)")
    conn.execute("INSERT INTO users VALUES ('root', 'x')")
    conn.commit()
    conn.close()


def _damaged(path: Path) -> None:
    write_kind(path.parent, "users", [(n, f"user{n}", None, "2026-01-01", None)
                                      for n in range(1, 3000)], name="many-users.csv")
    ok("--db", path, "import", "--kind", "users", path.parent / "many-users.csv")
    with open(path, "r+b") as handle:
        handle.seek(8192)
        handle.write(b"\x13" * 40000)


BROKEN = {
    "not-sqlite": (_not_sqlite, "is not a usable scorekeeper database (file is not a database)"),
    "other-application": (_other_application, "is an SQLite database of another application (tables: users)"),
    "damaged": (_damaged, "is not a usable scorekeeper database (database disk image is malformed)"),
}


def _name(args: tuple[str, ...]) -> str:
    return "-".join(args[:2]).replace("--", "")


@pytest.mark.parametrize("kind, args", [
    pytest.param(kind, args, id=f"{kind}-{_name(args)}")
    for kind in BROKEN for args in READS + WRITES + [("init",)]
    if (kind, args) != ("damaged", ("init",))  # init reads only the schema, which is intact
])
def test_a_file_that_is_not_a_scorekeeper_database_is_refused_untouched(
        kind: str, args: tuple[str, ...], tmp_path: Path, extra: Path):
    path = tmp_path / "site.db"
    make, message = BROKEN[kind]
    make(path)
    before = path.read_bytes()

    result = run("--db", path, *args)

    assert result.exception is None, repr(result.exception)
    assert result.exit_code == 3, result.stderr
    assert result.stdout == ""
    assert f"Error: {path} {message}" in result.stderr
    assert "--db" in result.stderr  # what to do next
    if kind != "damaged":  # whose intact pages SQLite may still write (a settings cache)
        assert path.read_bytes() == before
        assert not path.with_name("site.db-wal").exists()


def test_the_quick_hook_path_refuses_a_foreign_database_too(tmp_path: Path):
    path = tmp_path / "site.db"
    _other_application(path)
    before = path.read_bytes()
    result = run_process("--db", path, *LIKE)
    assert result.exit_code == 3, result.stderr
    assert "another application" in result.stderr and "Traceback" not in result.stderr
    assert path.read_bytes() == before


def test_an_empty_file_becomes_a_database_on_the_first_write(tmp_path: Path):
    """A 0-byte file is what `touch` leaves: SQLite treats it as an empty database."""
    path = tmp_path / "site.db"
    _empty_file(path)
    result = run("--db", path, "export")
    assert result.exit_code == 3 and "has no scorekeeper tables; run `scorekeeper init`" in result.stderr
    ok("--db", path, "init")
    assert run("--db", path, "export").exit_code == 0


def test_a_folder_given_as_the_database(tmp_path: Path):
    (tmp_path / "site.db").mkdir()
    for args in (("export",), ("recalc",)):
        result = run("--db", tmp_path / "site.db", *args)
        assert result.exit_code == 3, result.stderr
        assert result.exception is None
        assert "site.db" in result.stderr


# -- written by a newer scorekeeper ---------------------------------------------------------


@pytest.mark.parametrize("args", READS + WRITES + [("init",)], ids=_name)
def test_a_database_from_a_newer_scorekeeper_is_refused_untouched(
        args: tuple[str, ...], example_db: Path, extra: Path):
    conn = sqlite3.connect(example_db)
    conn.execute("INSERT INTO schema_migrations (version, name, applied_at)"
                 " VALUES (99, 'from_the_future', '2027-01-01T00:00:00')")
    conn.commit()
    conn.close()
    before = dump(example_db)

    result = run(*args)

    assert result.exit_code == 3, result.stderr
    assert result.stdout == ""
    assert ("has schema version 99, newer than this scorekeeper understands" in result.stderr
            and "upgrade scorekeeper, nothing was changed" in result.stderr)
    assert dump(example_db) == before


def test_the_quick_paths_refuse_a_newer_database_too(example_db: Path):
    conn = sqlite3.connect(example_db)
    conn.execute("INSERT INTO schema_migrations VALUES (99, 'from_the_future', '2027-01-01')")
    conn.commit()
    conn.close()
    before = dump(example_db)
    for args in (LIKE, ("export", *AS_OF)):
        result = run_process(*args)
        assert result.exit_code == 3, result.stderr
        assert "newer than this scorekeeper" in result.stderr
    assert dump(example_db) == before


# -- read-only files and folders ------------------------------------------------------------


@contextlib.contextmanager
def read_only(path: Path):
    """Make a file or folder read-only, even for root (chattr +i); skip where impossible."""
    if shutil.which("chattr") is None and _is_root():
        pytest.skip("running as root without chattr: nothing makes a file read-only for root")
    if _is_root():
        made = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
        if made.returncode != 0:
            pytest.skip(f"chattr +i is not supported here ({made.stderr.strip()}); as root "
                        "nothing else makes a file read-only")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
    else:
        mode = path.stat().st_mode
        path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield
        finally:
            path.chmod(mode)


def _is_root() -> bool:
    return os.geteuid() == 0


@pytest.mark.parametrize("what", ["file", "folder"])
def test_a_read_only_database_still_reads_and_says_why_it_cannot_write(
        what: str, tmp_path: Path, extra: Path):
    folder = tmp_path / "data"
    folder.mkdir()
    db = folder / "scores.db"
    ok("--db", db, "import", *write_example(tmp_path))
    assert sorted(p.name for p in folder.iterdir()) == ["scores.db"]  # no -wal left behind
    before = dump(db)

    with read_only(db if what == "file" else folder):
        assert run("--db", db, "export", *AS_OF).stdout == EXAMPLE_EXPORT
        assert run_process("--db", db, "export", *AS_OF).stdout == EXAMPLE_EXPORT
        for args in READS:
            result = run("--db", db, *args)
            assert result.exit_code == 0, (args, result.stderr)
        for args in WRITES:
            result = run("--db", db, *args)
            assert result.exception is None, repr(result.exception)
            assert result.exit_code == 3, (args, result.stderr)
            if what == "file":
                assert "cannot be written (attempt to write a readonly database)" in result.stderr
            else:
                assert (f"cannot be written: its folder {folder} is read-only and SQLite "
                        "needs to create scores.db-wal and scores.db-shm there") in result.stderr
        result = run_process("--db", db, *LIKE)
        assert result.exit_code == 3 and "cannot be written" in result.stderr

    assert dump(db) == before
    ok("--db", db, *LIKE)  # writable again: the event goes in


# -- a full disk ---------------------------------------------------------------------------


def _big_likes(folder: Path, rows: int) -> Path:
    return write_kind(folder, "likes", [(1000 + n, 2, "post", 10, n % 2, "2026-11-20")
                                        for n in range(rows)])


def test_a_full_disk_mid_import_leaves_nothing_half_written(example_db: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch):
    """SQLite's SQLITE_FULL arrives from the second batch of a 12,000-row file."""
    (tmp_path / "extra").mkdir()
    likes = _big_likes(tmp_path / "extra", 12000)
    flush = importer._Store.flush
    calls = []

    def filling_up(self, reject):
        calls.append(1)
        if len(calls) == 2:
            raise sqlite3.OperationalError("database or disk is full")
        return flush(self, reject)

    monkeypatch.setattr(importer._Store, "flush", filling_up)
    before = dump(example_db)

    result = run("import", likes)

    assert len(calls) == 2  # the first batch was written inside the transaction
    assert result.exit_code == 3, result.stderr
    assert result.exception is None
    assert "database or disk is full; free disk space and run the command again" in result.stderr
    assert dump(example_db) == before
    assert integrity(example_db) == "ok"


def test_a_full_disk_mid_stream_keeps_the_committed_batches_and_says_where_to_resume(
        example_db: Path, monkeypatch: pytest.MonkeyPatch):
    apply_event = hooks.apply_event
    seen = []

    def filling_up(conn, scoring, event):
        seen.append(event)
        if len(seen) == 1500:
            raise sqlite3.OperationalError("database or disk is full")
        return apply_event(conn, scoring, event)

    monkeypatch.setattr(hooks, "apply_event", filling_up)
    lines = "".join(
        f'{{"event": "like.created", "event_id": "f{n}", "id": {5000 + n}, "user_id": 2, '
        f'"likeable_type": "post", "likeable_id": 10, "is_like": true, '
        f'"created_at": "2026-11-20"}}\n' for n in range(1, 2001))

    result = run("hook", "-", input=lines)

    assert result.exit_code == 3, result.stderr
    assert "database or disk is full" in result.stderr
    assert "resume from line 1001" in result.stderr
    assert count(example_db, "seen_events") == 1000
    assert count(example_db, "likes") == 3 + 1000
    assert run("recalc", "--check").exit_code == 0


TMPFS_SCRIPT = """
set -e
mount -t tmpfs -o size={size} tmpfs "$MNT"
cp "$SRC"/scorekeeper.db "$MNT"/
cd "$MNT"
set +e
"$@" import "$BIG" > "$OUT/import.out" 2> "$OUT/import.err"; echo $? > "$OUT/import.rc"
"$@" export --as-of 2026-11-30 > "$OUT/export.out" 2> "$OUT/export.err"; echo $? > "$OUT/export.rc"
set -e
cp "$MNT"/scorekeeper.db* "$OUT"/
"""


def test_a_full_tmpfs_mid_import_leaves_nothing_half_written(example_db: Path, tmp_path: Path):
    """The real thing: a 1 MiB tmpfs in a private mount namespace (root only)."""
    if not _is_root() or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare to mount a private tmpfs")
    folder = tmp_path / "extra"
    folder.mkdir()
    big = _big_likes(folder, 60000)
    mount, out = tmp_path / "mnt", tmp_path / "out"
    mount.mkdir()
    out.mkdir()
    before = dump(example_db)
    env = clean_env(MNT=str(mount), SRC=str(tmp_path), OUT=str(out), BIG=str(big))
    done = subprocess.run(["unshare", "-m", "sh", "-c", TMPFS_SCRIPT.format(size="1m"), "sh",
                           *scorekeeper_command()], env=env, capture_output=True, text=True,
                          timeout=120)
    if done.returncode != 0 and not (out / "import.rc").exists():
        pytest.skip(f"cannot mount a private tmpfs here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr

    assert (out / "import.rc").read_text().strip() == "3", (out / "import.err").read_text()
    assert ("database or disk is full; free disk space and run the command again, nothing "
            "was half-written") in (out / "import.err").read_text()
    assert (out / "export.rc").read_text().strip() == "0"  # reading still works on a full disk
    assert (out / "export.out").read_text() == EXAMPLE_EXPORT
    copy = out / "scorekeeper.db"
    assert integrity(copy) == "ok"
    assert dump(copy) == before


# -- locked past the busy timeout ------------------------------------------------------------

HOLDER = textwrap.dedent("""
    import sqlite3, sys
    conn = sqlite3.connect(sys.argv[1], isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    print("locked", flush=True)
    sys.stdin.read()
    conn.execute("ROLLBACK")
""")


@contextlib.contextmanager
def locked(db: Path):
    """Another process holds the write lock (BEGIN IMMEDIATE) until the block ends."""
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(db)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "locked\n"
        yield
    finally:
        holder.stdin.close()
        holder.stdout.close()
        holder.wait(timeout=30)


def _busy(args, db: Path, input: str | None = None):
    started = time.monotonic()
    done = subprocess.run([*scorekeeper_command(), "--db", str(db), *args], input=input,
                          capture_output=True, text=True, timeout=60,
                          env=clean_env(SCOREKEEPER_BUSY_TIMEOUT_SECONDS="0.5"))
    return done, time.monotonic() - started


def test_a_database_locked_past_the_busy_timeout_exits_4_and_changes_nothing(
        example_db: Path, extra: Path):
    event = ('{"event": "like.created", "event_id": "b1", "id": 91, "user_id": 2, '
             '"likeable_type": "post", "likeable_id": 10, "is_like": true, '
             '"created_at": "2026-11-20"}\n')
    before = dump(example_db)
    with locked(example_db):
        for args, stdin in [(LIKE, None), (LIKE, None), (("hook", "-"), event), (("recalc",), None),
                            (("import", "extra/posts.csv"), None),
                            (("calculate", "--user-id", "1"), None)]:
            done, seconds = _busy(args, example_db, stdin)
            assert done.returncode == 4, (args, done.stderr)
            assert "Traceback" not in done.stderr
            assert (f"database {example_db} stayed busy past the busy timeout") in done.stderr
            assert "try again later, or raise busy_timeout_seconds" in done.stderr
            assert seconds < 20
        # Readers are never blocked by a writer (WAL).
        for args in READS:
            done, _ = _busy(args, example_db)
            assert done.returncode == 0, (args, done.stderr)
        assert dump(example_db) == before
    # Once the lock is gone, the same commands go through (the sender's retry).
    done, _ = _busy(("hook", "-"), example_db, event)
    assert done.returncode == 0, done.stderr
    assert count(example_db, "likes") == 4


def test_a_stream_that_turns_busy_mid_way_says_where_to_resume(example_db: Path):
    """`hook -` commits in batches: a batch that cannot start reports what went in."""
    lines = [f'{{"event": "like.created", "event_id": "s{n}", "id": {7000 + n}, '
             f'"user_id": 2, "likeable_type": "post", "likeable_id": 10, "is_like": true, '
             f'"created_at": "2026-11-20"}}\n' for n in range(1, 1501)]
    stream = subprocess.Popen([*scorekeeper_command(), "--db", str(example_db), "hook", "-"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True,
                              env=clean_env(SCOREKEEPER_BUSY_TIMEOUT_SECONDS="0.5"))
    stream.stdin.writelines(lines[:1000])
    stream.stdin.flush()
    deadline = time.monotonic() + 30
    while count(example_db, "seen_events") < 1000:  # the first batch is committed
        assert time.monotonic() < deadline and stream.poll() is None
        time.sleep(0.05)
    with locked(example_db):
        _, err = stream.communicate("".join(lines[1000:]), timeout=60)
    assert stream.returncode == 4, err
    assert "stayed busy" in err
    assert "the 1000 event(s) before line 1001 were applied" in err
    assert "resume from line 1001" in err
    assert count(example_db, "seen_events") == 1000
    assert query(example_db, "SELECT MAX(id) FROM likes")[0][0] == 8000
    assert run("recalc", "--check").exit_code == 0
