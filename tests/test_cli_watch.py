"""`scorekeeper watch` as a real process on a real folder: drops, restarts, signals."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import EXAMPLE, EXAMPLE_EXPORT, HEADERS, run, run_process, write_csv, write_kind

SETTLE = "0.3"
WAIT = 20  # seconds: the bound of every wait below


def wait_until(condition: Callable[[], object], what: str, timeout: float = WAIT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Watching:
    """One `python -m scorekeeper watch` process, with its stdout and stderr in files."""

    def __init__(self, folder: Path, *options: str, settle: str = SETTLE):
        self.folder = folder
        self.db = folder.parent / "scorekeeper.db"
        self.out = folder.parent / f"watch-{time.monotonic_ns()}.out"
        self.err = self.out.with_suffix(".err")
        env = {k: v for k, v in os.environ.items() if not k.upper().startswith("SCOREKEEPER_")}
        with open(self.out, "w") as out, open(self.err, "w") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "scorekeeper", "watch", str(folder),
                 "--settle", settle, *options],
                stdout=out, stderr=err, cwd=folder.parent, env=env)
        self.wait_for("watching ")

    def stderr(self) -> str:
        return self.err.read_text(encoding="utf-8")

    def wait_for(self, text: str, times: int = 1) -> None:
        def seen() -> bool:
            assert self.process.poll() is None, f"watch exited early:\n{self.stderr()}"
            return self.stderr().count(text) >= times

        wait_until(seen, f"{text!r} x{times} in the watcher's stderr")

    def stop(self, signum: int = signal.SIGTERM) -> int:
        self.process.send_signal(signum)
        try:
            code = self.process.wait(WAIT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise
        assert self.out.read_text() == "", "watch printed on stdout"
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(WAIT)


@pytest.fixture
def watching(tmp_path: Path):
    started: list[Watching] = []

    def start(*options: str, settle: str = SETTLE) -> Watching:
        started.append(Watching(tmp_path / "inbox", *options, settle=settle))
        return started[-1]

    (tmp_path / "inbox").mkdir()
    yield start
    for watcher in started:
        watcher.kill()


def drop(folder: Path, name: str, write: Callable[[Path], object]) -> Path:
    """The safe way: write under a hidden name, then rename into the folder."""
    hidden = folder / f".{name}.tmp"
    write(hidden)
    target = folder / name
    os.replace(hidden, target)
    return target


def drop_kind(folder: Path, kind: str, rows, name: str | None = None) -> Path:
    name = name or f"{kind}.csv"
    return drop(folder, name, lambda p: write_csv(p, HEADERS[kind], rows))


def drop_batch(folder: Path, name: str, events: list[dict]) -> Path:
    text = "".join(json.dumps(event) + "\n" for event in events)
    return drop(folder, name, lambda p: p.write_text(text, encoding="utf-8"))


def like(like_id: int, is_like: bool = True, event: str = "like.created", **extra) -> dict:
    return {"event": event, "id": like_id, "user_id": 2, "likeable_type": "post",
            "likeable_id": 10, "is_like": is_like, "created_at": "2026-11-05T00:00:00Z",
            **extra}


def ledger(db: Path) -> dict[str, tuple]:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            rows = conn.execute("SELECT path, status, lines_done FROM watch_ledger").fetchall()
    except sqlite3.OperationalError:  # not created yet
        return {}
    return {Path(path).name: (status, lines) for path, status, lines in rows}


def query(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute(sql).fetchall()


def export(db: Path) -> str:
    return run("export", "--as-of", "2026-11-30", "--db", db).stdout


@pytest.mark.slow
def test_files_dropped_while_it_runs_are_taken_and_ctrl_c_exits_0(watching) -> None:
    watcher = watching()
    for kind, rows in EXAMPLE.items():
        drop_kind(watcher.folder, kind, rows)
    (watcher.folder / ".half-written.csv").write_text("id,user")
    (watcher.folder / "likes.csv.part").write_text("id,user")

    wait_until(lambda: export(watcher.db) == EXAMPLE_EXPORT, "the worked example's scores")
    assert watcher.stop(signal.SIGINT) == 0
    stderr = watcher.stderr()
    assert stderr.count("imported ") == 6 and "Error" not in stderr
    assert stderr.rstrip().endswith("watch: 6 taken, 0 failed, 0 skipped (taken before)")
    assert sorted(ledger(watcher.db)) == sorted(f"{kind}.csv" for kind in EXAMPLE)
    assert run_process("recalc", "--check", "--db", watcher.db).exit_code == 0


@pytest.mark.slow
def test_a_file_written_slowly_in_pieces_is_taken_once_and_whole(watching) -> None:
    watcher = watching(settle="1")
    write_kind(watcher.folder.parent, "users", EXAMPLE["users"])
    assert run_process("import", "users.csv").exit_code == 0
    rows = [(n, 2, "post", 10, "true", "2026-11-05T00:00:00Z") for n in range(1, 2001)]
    text = write_csv(watcher.folder.parent / "likes.csv", HEADERS["likes"], rows).read_bytes()

    target = watcher.folder / "likes.csv"
    with open(target, "wb") as handle:
        for start in range(0, len(text), len(text) // 7):  # pieces end mid-line
            handle.write(text[start:start + len(text) // 7])
            handle.flush()
            time.sleep(0.1)
    wait_until(lambda: ledger(watcher.db).get("likes.csv") == ("done", None), "likes.csv")
    watcher.wait_for("updated the scores")

    assert watcher.stop() == 0
    stderr = watcher.stderr()
    assert stderr.count("imported 2,000 likes from") == 1 and "Error" not in stderr
    assert query(watcher.db, "SELECT COUNT(*) FROM likes") == [(2000,)]


@pytest.mark.slow
def test_a_restart_takes_nothing_twice_and_a_second_watcher_is_refused(watching) -> None:
    watcher = watching()
    for kind in ("users", "posts"):
        drop_kind(watcher.folder, kind, EXAMPLE[kind])
    drop_batch(watcher.folder, "events-1.ndjson",
               [like(1), like(1, False, "like.updated")])  # no event_id
    watcher.wait_for("imported ", times=2)
    watcher.wait_for("applied 2 events from")
    assert watcher.stop() == 0

    # Meanwhile like 1 flips back; taking events-1 again would undo that.
    flip = like(1, True, "like.updated")
    assert run_process("hook", "like.updated", "--json", json.dumps(flip)).exit_code == 0
    again = watching()
    drop_batch(again.folder, "events-2.ndjson", [like(2)])
    again.wait_for("applied 1 events from")
    assert again.stderr().count("taken before (same name, size and content)") == 3
    second = run_process("watch", again.folder, "--once")
    assert second.exit_code == 4
    assert "another `scorekeeper watch` is taking the files of" in second.stderr
    assert again.stop() == 0
    assert query(again.db, "SELECT id, is_like FROM likes ORDER BY id") == [(1, 1), (2, 1)]
    assert run_process("recalc", "--check").exit_code == 0


def test_once_takes_what_is_there_and_exits_3_when_a_file_failed(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for kind, rows in EXAMPLE.items():
        write_kind(inbox, kind, rows)
    write_kind(inbox, "posts", [(12, 1, "2026-11-01"), (12, 2, "2026-11-02")], name="posts-2.csv")
    drop_batch(inbox, "events.ndjson", [like(5), like("x")])

    result = run_process("watch", inbox, "--once", "--settle", "0",
                         "--move-done", "done", "--move-failed", "failed")
    assert result.exit_code == 3 and result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 2
    assert "posts-2.csv line 3: column id: value 12 appears twice" in errors[1]
    assert "events.ndjson line 2: field id: value 'x'" in errors[0]
    assert result.stderr.rstrip().endswith("watch: 6 taken, 2 failed, 0 skipped (taken before)")
    assert sorted(p.name for p in (tmp_path / "failed").iterdir()) == ["events.ndjson", "posts-2.csv"]
    assert len(list((tmp_path / "done").iterdir())) == 6
    assert [p.name for p in inbox.iterdir()] == [".scorekeeper-watch.lock"]
    assert export(tmp_path / "scorekeeper.db") == EXAMPLE_EXPORT

    result = run_process("watch", inbox, "--once")  # nothing left: exit 0
    assert result.exit_code == 0
    assert result.stderr == "watch: 0 taken, 0 failed, 0 skipped (taken before)\n"


@pytest.mark.slow
def test_an_event_batch_with_a_replayed_event_applies_it_once(watching) -> None:
    watcher = watching()
    for kind in ("users", "posts"):
        drop_kind(watcher.folder, kind, EXAMPLE[kind])
    drop_batch(watcher.folder, "events-1.ndjson",
               [like(1, event_id="e1"), like(1, False, "like.updated", event_id="e2")])
    watcher.wait_for("applied 2 events from")
    drop_batch(watcher.folder, "events-2.ndjson", [like(1, event_id="e1"), like(3, event_id="e3")])
    watcher.wait_for("applied 1 events from")

    assert watcher.stop() == 0
    stderr = watcher.stderr()
    assert "events-2.ndjson: line 1: skipped event_id 'e1': it was applied before" in stderr
    assert "skipped 1 replays" in stderr
    assert query(watcher.db, "SELECT id, is_like FROM likes ORDER BY id") == [(1, 0), (3, 1)]
    assert run_process("recalc", "--check").exit_code == 0


@pytest.mark.slow
def test_sigterm_in_the_middle_of_a_large_batch_finishes_it_and_exits_0(watching) -> None:
    watcher = watching()
    events = [like(n) for n in range(1, 60_001)]
    drop_batch(watcher.folder, "events-big.ndjson", events)
    wait_until(lambda: ledger(watcher.db).get("events-big.ndjson", ("",))[0] == "partial",
               "the first committed batch")

    assert watcher.stop() == 0
    stderr = watcher.stderr()
    assert "stopping after the file in hand" in stderr
    assert "applied 60,000 events from" in stderr
    assert ledger(watcher.db)["events-big.ndjson"] == ("done", 60_000)
    assert query(watcher.db, "SELECT COUNT(*) FROM likes") == [(60_000,)]
    assert run_process("recalc", "--check").exit_code == 0


def test_a_missing_folder_is_a_usage_error() -> None:
    result = run("watch", "nowhere")
    assert result.exit_code == 2
    assert "Invalid value for 'DIR': dir 'nowhere' does not exist." in result.stderr
