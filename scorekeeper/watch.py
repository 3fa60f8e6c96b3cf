"""Watching a folder: activity files and event batches, taken as they arrive.

A file is taken when it is complete: its name is not hidden or temporary, it is
not empty, and its size and modification time have stayed the same for the
settle time. Activity files (``likes.csv``, ``users-2.ndjson``...) go through
``import_file``; event batches (``events*.ndjson``) go through
``hooks.apply_stream``, as ``hook -`` does.

The ledger (table ``watch_ledger``) keeps, per path, the size and SHA-256 of
the content last taken there and how that went, so that a restart takes
nothing twice and a file that changes is taken again. It is written in the
same transaction as the data: inside an import's one transaction, and inside
each transaction of a batch's events, with the number of lines applied so far.
A watcher killed in the middle of a batch therefore resumes after the last
line it committed, and a batch that only grew (lines appended) goes on from
where it ended instead of applying its first lines again.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import stat
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scorekeeper import hooks, sql
from scorekeeper.db import Database
from scorekeeper.errors import BusyError, DataError, UsageError
from scorekeeper.importer import FORMATS, import_file
from scorekeeper.scoring import (
    Scoring,
    ensure_same_scoring,
    is_stale,
    mark_stale,
    now_text,
    recalc_scores,
)

TEMPORARY_SUFFIXES = (".tmp", ".part")
LOCK_NAME = ".scorekeeper-watch.lock"  # hidden, so never taken as a file
EVENT_PREFIX = "events"
EVENT_SUFFIXES = (".ndjson", ".jsonl")


def file_role(name: str) -> str | None:
    """``events`` for an event batch, ``activity`` for an activity file, ``other`` for
    a file of another format, None for a hidden or temporary name (left alone)."""
    if name.startswith(".") or name.endswith(TEMPORARY_SUFFIXES):
        return None
    suffix = os.path.splitext(name)[1].lower()
    if name.startswith(EVENT_PREFIX) and suffix in EVENT_SUFFIXES:
        return "events"
    return "activity" if suffix in FORMATS else "other"


@dataclass
class Summary:
    done: int = 0
    failed: int = 0
    skipped: int = 0  # taken before, with the same name and content


@dataclass
class _Entry:
    """A ledger row."""

    size: int
    sha256: str
    status: str  # partial, done or failed
    reason: str | None
    lines_done: int | None


@dataclass
class _Pending:
    """A file waiting to settle: its last (size, mtime) and since when it has had it."""

    signature: tuple[int, int] | None
    since: float
    initial: bool  # there when the watcher started


@dataclass
class _File:
    path: Path  # absolute: the ledger's key
    shown: Path  # as the user named the folder, for messages
    size: int = 0
    sha256: str = ""
    lines_done: int | None = None


@dataclass
class _BatchScan:
    size: int
    sha256: str
    prefix_sha256: str | None  # of the first `prefix_size` bytes, when a line ends there
    first_bad: tuple[int, str] | None
    first_bad_after: tuple[int, str] | None  # the first bad line after `after_line`


def _digest(path: Path) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _decode(raw: bytes, number: int) -> str:
    text = raw.decode("utf-8")
    return text.removeprefix("\ufeff") if number == 1 else text


def _line_problem(raw: bytes, number: int) -> str | None:
    """Why one line of a batch cannot be applied, or None (blank lines are fine)."""
    try:
        text = _decode(raw, number)
    except UnicodeDecodeError:
        return "not valid UTF-8"
    if not text.strip():
        return None
    try:
        hooks.parse_event(json.loads(text))
    except json.JSONDecodeError as exc:
        return f"not valid JSON ({exc.msg} at column {exc.colno})"
    except DataError as exc:
        return str(exc)
    return None


def _scan_batch(path: Path, prefix_size: int | None, after_line: int) -> _BatchScan:
    """Hash an event batch and check every line, in one read."""
    digest, size, prefix = hashlib.sha256(), 0, None
    first_bad = first_bad_after = None
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, 1):
            if size == prefix_size:
                prefix = digest.hexdigest()
            digest.update(raw)
            size += len(raw)
            if first_bad_after is None:
                problem = _line_problem(raw, number)
                if problem:
                    first_bad = first_bad or (number, problem)
                    if number > after_line:
                        first_bad_after = (number, problem)
    if size == prefix_size:
        prefix = digest.hexdigest()
    return _BatchScan(size, digest.hexdigest(), prefix, first_bad, first_bad_after)


def _batch_records(path: Path, after_line: int) -> Iterator[tuple[int, Any]]:
    """``(line number, parsed JSON or the error)`` for the lines after ``after_line``."""
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, 1):
            if number <= after_line:
                continue
            text = _decode(raw, number)
            if not text.strip():
                continue
            try:
                yield number, json.loads(text)
            except json.JSONDecodeError as exc:
                yield number, exc


def _free_name(folder: Path, name: str) -> Path:
    """``folder/name``, or ``folder/stem.N.suffix`` when that is taken."""
    target = folder / name
    stem, suffix = os.path.splitext(name)
    number = 0
    while target.exists():
        number += 1
        target = folder / f"{stem}.{number}{suffix}"
    return target


class Watcher:
    """Takes the complete files of one folder, each content once (see the module doc).

    Messages go to ``note`` (what was done), ``warn`` and ``error`` (a failed file);
    nothing is printed here.
    """

    def __init__(self, database: Database, scoring: Scoring, folder: Path, *,
                 settle: float = 2.0, retention_days: int = 30,
                 move_done: Path | None = None, move_failed: Path | None = None,
                 note: Callable[[str], None] = lambda _m: None,
                 warn: Callable[[str], None] = lambda _m: None,
                 error: Callable[[str], None] = lambda _m: None):
        self.database, self.scoring = database, scoring
        self.folder, self.root = folder, folder.resolve()
        self.settle, self.retention_days = settle, retention_days
        self.move_done, self.move_failed = move_done, move_failed
        self.note, self.warn, self.error = note, warn, error
        for option, target in (("--move-done", move_done), ("--move-failed", move_failed)):
            if target is not None and target.resolve() == self.root:
                raise UsageError(f"{option} {target} is the watched folder itself; "
                                 "name another folder (a subfolder is fine)")
            if target is not None:
                target.mkdir(parents=True, exist_ok=True)
        self.summary = Summary()
        self.tick = max(0.05, min(0.5, settle / 3))
        self._pending: dict[str, _Pending] = {}
        self._taken: dict[str, tuple[int, int]] = {}  # name -> signature when taken
        self._noted: set[str] = set()
        self._stop = threading.Event()
        self._once = False
        self._needs_recalc = False

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        """Stop after the file in hand (safe to call from a signal handler)."""
        if not self._stop.is_set():
            self.note("stopping after the file in hand")
            self._stop.set()

    def run(self, *, once: bool = False) -> Summary:
        """Take the files there now, in name order; then, unless ``once``, the files
        that arrive, until ``stop``. Returns the counts."""
        self._once = once
        with self._folder_lock():
            with self.database.transaction() as conn:
                ensure_same_scoring(conn, self.scoring)
                self._needs_recalc = is_stale(conn)
            if once:
                self._scan()
                self._take_ready()
                while self._pending and not self._stop.wait(self.tick):
                    self._take_ready()
            else:
                self._watch()
        return self.summary

    @contextmanager
    def _folder_lock(self) -> Iterator[None]:
        """One watcher per folder: two would take the same batch twice. The lock goes
        with the process, however it ends."""
        import fcntl

        try:
            handle = open(self.root / LOCK_NAME, "a")
        except PermissionError:
            self.warn(f"cannot create {self.folder / LOCK_NAME} (permission denied), so "
                      "nothing stops a second watcher on this folder: run only one")
            yield
            return
        with handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise BusyError(f"another `scorekeeper watch` is taking the files of "
                                f"{self.folder}; run one watcher per folder (under cron, "
                                "wrap `watch --once` in `flock -n`)") from None
            yield

    def _watch(self) -> None:
        import watchfiles  # only `watch` needs it; other commands start without it

        tick_ms = int(self.tick * 1000)
        changes_seen = watchfiles.watch(
            self.root, watch_filter=None, recursive=False, stop_event=self._stop,
            debounce=tick_ms, step=min(50, tick_ms), rust_timeout=tick_ms,
            yield_on_timeout=True,
        )
        started = False
        for changes in changes_seen:
            if not started:
                # Scan once the watcher is up, so that no file slips in between.
                self._scan()
                started = True
            for _change, path in changes:
                if Path(path).parent == self.root:
                    self._consider(Path(path).name, initial=False)
            self._take_ready()
            if self._stop.is_set():
                break

    # Noticing files and waiting for them to settle

    def _scan(self) -> None:
        with os.scandir(self.root) as entries:
            for entry in entries:
                self._consider(entry.name, initial=True)

    def _consider(self, name: str, *, initial: bool) -> None:
        path = self.root / name
        try:
            info = path.stat()
        except FileNotFoundError:
            self._pending.pop(name, None)
            return
        role = file_role(name)
        if role is None or not stat.S_ISREG(info.st_mode):
            return
        if role == "other":
            if name not in self._noted:
                self._noted.add(name)
                self.note(f"ignoring {self.folder / name}: neither an activity file "
                          "(.csv, .ndjson, .jsonl, .json) nor an event batch (events*.ndjson)")
            return
        if self._taken.get(name) == (info.st_size, info.st_mtime_ns):
            return  # our own reading or moving, not a change
        if name not in self._pending:
            self._pending[name] = _Pending(None, time.monotonic(), initial)

    def _state(self, name: str, entry: _Pending) -> str:
        """``gone``, ``wait``, ``empty`` or ``ready``."""
        try:
            info = os.stat(self.root / name)
        except FileNotFoundError:
            return "gone"
        now = time.monotonic()
        signature = (info.st_size, info.st_mtime_ns)
        if signature != entry.signature:
            entry.signature, entry.since = signature, now
        # A file renamed into the folder long after it was written is complete already.
        age = max(now - entry.since, time.time() - info.st_mtime)
        if age < self.settle:
            return "wait"
        return "empty" if info.st_size == 0 else "ready"

    def _take_ready(self) -> None:
        for name in sorted(self._pending, key=lambda n: (not self._pending[n].initial, n)):
            if self._stop.is_set():
                break
            entry = self._pending[name]
            state = self._state(name, entry)
            if state == "wait" and entry.initial:
                break  # the files there at the start go strictly in name order
            if state == "wait":
                continue
            del self._pending[name]
            if state == "empty":
                self.note(f"left {self.folder / name} alone: it is empty (0 bytes); "
                          "it is taken once it has content")
            elif state == "ready":
                self._take(name, entry)
        self._recalc_if_needed()

    # Taking one file

    def _take(self, name: str, entry: _Pending) -> None:
        file = _File(self.root / name, self.folder / name)
        try:
            if file_role(name) == "events":
                status = self._apply_batch(file)
            else:
                status = self._import(file)
        except FileNotFoundError:
            self.note(f"{file.shown} went away before it was read")
            return
        except BusyError as exc:
            if self._once:
                raise
            self.warn(f"{exc}; {file.shown} is tried again shortly")
            self._pending[name] = _Pending(None, time.monotonic(), entry.initial)
            return
        except DataError as exc:
            status = self._fail(file, str(exc))
        self._taken[name] = entry.signature
        if status == "done":
            self._move(file, self.move_done)
        elif status == "failed":
            self._move(file, self.move_failed)

    def _ledger(self, path: Path) -> _Entry | None:
        row = self.database.conn.execute(sql.LEDGER_ENTRY, (str(path),)).fetchone()
        return _Entry(*row) if row else None

    def _record(self, conn, file: _File, status: str, reason: str | None = None) -> None:
        conn.execute(sql.RECORD_IN_LEDGER, {
            "path": str(file.path), "size": file.size, "sha256": file.sha256,
            "status": status, "reason": reason, "lines_done": file.lines_done,
            "now": now_text(),
        })

    def _skip(self, file: _File, entry: _Entry) -> str:
        self.summary.skipped += 1
        if entry.status == "done":
            self.note(f"skipped {file.shown}: taken before (same name, size and content)")
        else:
            self.note(f"skipped {file.shown}: it failed before ({entry.reason}); "
                      "change or rename it to try again")
        return entry.status

    def _fail(self, file: _File, reason: str) -> str:
        with self.database.transaction() as conn:
            self._record(conn, file, "failed", reason)
        self.summary.failed += 1
        if self.move_failed:
            reason += f" (moving it to {self.move_failed})"
        self.error(reason)
        return "failed"

    def _move(self, file: _File, folder: Path | None) -> None:
        if folder is None:
            return
        try:
            shutil.move(file.path, _free_name(folder, file.path.name))
        except OSError as exc:
            self.warn(f"cannot move {file.shown} to {folder} ({exc.strerror}); it stays, "
                      "and the ledger keeps it from being taken twice")

    def _import(self, file: _File) -> str:
        try:
            file.size, file.sha256 = _digest(file.path)
        except PermissionError:
            raise DataError(f"{file.shown}: cannot be read (permission denied)") from None
        entry = self._ledger(file.path)
        if entry and (entry.size, entry.sha256) == (file.size, file.sha256):
            return self._skip(file, entry)

        def record(conn) -> None:
            self._record(conn, file, "done")
            mark_stale(conn)  # until the recalculation below, should it not happen

        result = import_file(self.database, file.shown, warn=self.warn, before_commit=record)
        self._needs_recalc = True
        self.summary.done += 1
        unchanged = result.rows - result.added - result.changed
        self.note(f"imported {result.rows:,} {result.kind} from {file.shown}: "
                  f"{result.added:,} added, {result.changed:,} changed, {unchanged:,} unchanged")
        return "done"

    def _apply_batch(self, file: _File) -> str:
        entry = self._ledger(file.path)
        done_before = (entry.lines_done or 0) if entry else 0
        try:
            scan = _scan_batch(file.path, entry.size if entry else None, done_before)
        except PermissionError:
            raise DataError(f"{file.shown}: cannot be read (permission denied)") from None
        file.size, file.sha256 = scan.size, scan.sha256
        if entry and entry.status != "partial" and (entry.size, entry.sha256) == (scan.size, scan.sha256):
            return self._skip(file, entry)

        # Go on after the lines applied before when the content only grew; else start over.
        resume = bool(done_before) and scan.prefix_sha256 == entry.sha256
        start = done_before if resume else 0
        file.lines_done = start
        if entry and entry.status == "partial" and not resume:
            self.warn(f"{file.shown} changed after {done_before} of its lines were applied "
                      "(the watcher was stopped in the middle); taking it from line 1")
        bad = scan.first_bad_after if resume else scan.first_bad
        if bad:
            what = "no event of the file" if start == 0 else f"no event after line {start}"
            raise DataError(f"{file.shown} line {bad[0]}: {bad[1]}; {what} was applied: "
                            "fix the line and drop the file again")
        return self._apply_lines(file, start)

    def _apply_lines(self, file: _File, start: int) -> str:
        def progress(conn, line: int) -> None:
            file.lines_done = max(line, start)
            self._record(conn, file, "partial")

        try:
            outcome = hooks.apply_stream(
                self.database, self.scoring, _batch_records(file.path, start),
                self.retention_days, lambda text: self.note(f"{file.shown}: {text}"),
                on_batch=progress)
        except hooks.StreamError as exc:
            raise DataError(
                f"{file.shown} line {exc.line}: {exc.reason}; the events before it were "
                f"applied (as `hook -` does): fix the line and drop lines {exc.line} on as "
                f"a new batch (tail -n +{exc.line} {file.shown})") from None
        with self.database.transaction() as conn:
            self._record(conn, file, "done")
        self.summary.done += 1
        replays = f", skipped {outcome.skipped_replays:,} replays" if outcome.skipped_replays else ""
        resumed = f" (after line {start}, taken before)" if start else ""
        self.note(f"applied {outcome.applied - outcome.skipped_replays:,} events from "
                  f"{file.shown}{resumed}{replays}")
        return "done"

    def _recalc_if_needed(self) -> None:
        if not self._needs_recalc:
            return
        started = time.perf_counter()
        try:
            with self.database.transaction() as conn:
                ensure_same_scoring(conn, self.scoring)
            result = recalc_scores(self.database, self.scoring)
        except BusyError as exc:
            if self._once:
                raise
            self.warn(f"{exc}; the scores are updated on the next try")
            return
        self._needs_recalc = False
        self.note(f"updated the scores of {result.changed:,} of {result.users:,} users "
                  f"({time.perf_counter() - started:.2f} s)")


@contextmanager
def stop_on_signals(watcher: Watcher) -> Iterator[None]:
    """SIGINT and SIGTERM ask ``watcher`` to stop after the file in hand; a second
    SIGINT stops at once (the transaction in hand is rolled back)."""

    def handle(signum: int, _frame: object) -> None:
        if watcher.stopping and signum == signal.SIGINT:
            raise KeyboardInterrupt
        watcher.stop()

    previous = {number: signal.signal(number, handle)
                for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
