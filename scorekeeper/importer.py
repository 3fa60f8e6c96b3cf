"""Loading activity files (CSV, NDJSON/JSONL, JSON) and Stack Exchange dumps.

A file streams through in batches: rows are parsed and checked in Python, then
stored with ``executemany`` upserts by id (never delete-and-insert), so memory
stays flat whatever the file's size. Each file is one transaction. The ids
seen so far live in a temporary table, which finds duplicates within a file
and, with ``replace``, the stored rows that the file no longer has.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scorekeeper import kinds
from scorekeeper.db import Database
from scorekeeper.errors import DataError, UsageError
from scorekeeper.kinds import Kind, RowError
from scorekeeper.scoring import mark_stale

BATCH = 5000
FORMATS = {".csv": "csv", ".ndjson": "ndjson", ".jsonl": "ndjson", ".json": "json"}
REJECT_COLUMNS = ("rejected_record", "reject_reason")


@dataclass
class FileResult:
    path: str
    kind: str
    rows: int = 0
    added: int = 0
    changed: int = 0
    removed: int = 0
    rejected: int = 0
    rejects_path: Path | None = None


class _Counting(io.RawIOBase):
    """A binary file that counts the bytes read through it, for progress."""

    def __init__(self, raw: io.BufferedReader):
        self.raw, self.done = raw, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self.raw.readinto(buffer)
        self.done += n or 0
        return n

    def close(self) -> None:
        self.raw.close()
        super().close()

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self.done = self.raw.seek(offset, whence)
        return self.done


def kind_of(path: Path, forced: str | None) -> Kind:
    """The kind of a file: ``--kind`` or the file name (see SPEC.md)."""
    if not path.exists():
        raise DataError(f"{path}: no such file; check the path")
    if forced:
        if forced not in kinds.KINDS:
            raise UsageError(f"--kind {forced!r} is not a kind (use one of {', '.join(kinds.KINDS)})")
        return kinds.KINDS[forced]
    stem = path.name.rsplit(".", 1)[0] if "." in path.name else path.name
    kind = kinds.kind_for_stem(stem)
    if kind is None:
        raise DataError(
            f"{path}: cannot tell the kind from the file name {path.name!r}; name it after "
            f"a kind ({', '.join(kinds.KINDS)}) or pass --kind"
        )
    return kind


def _check_columns(path: Path, kind: Kind, names: Iterable[str], warn: Callable[[str], None]) -> None:
    names = list(names)
    extra = []
    for name in names:
        if name in kind.column_names:
            continue
        meant = kinds.near_miss(kind, name)
        if meant:
            raise DataError(f"{path}: column {name!r} is not a {kind.name} column; "
                            f"did you mean {meant!r}? Rename it and import again")
        extra.append(name)
    missing = [c.name for c in kind.columns if c.required and c.name not in names]
    if missing:
        raise DataError(f"{path}: the {kind.name} column(s) {', '.join(missing)} are missing "
                        f"(a {kind.name} file has {', '.join(kind.column_names)})")
    if extra:
        warn(f"{path}: ignoring column(s) {', '.join(repr(e) for e in extra)}, "
             f"which are not {kind.name} columns")


def _csv_records(path, text, kind, warn) -> Iterator[tuple[str, list[Any], dict]]:
    reader = csv.reader(text)
    try:
        header = next(reader)
    except StopIteration:
        raise DataError(f"{path}: the file has no header row (a {kind.name} file starts with "
                        f"{','.join(kind.column_names)}); was the export cut short?") from None
    header = [name.strip() for name in header]
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise DataError(f"{path}: the header names column(s) {', '.join(map(repr, repeated))} "
                        "more than once; keep one of each and import again")
    _check_columns(path, kind, header, warn)
    index = {name: i for i, name in enumerate(header)}
    picks = [index.get(name) for name in kind.column_names]
    width = len(header)
    identity = picks == list(range(width))  # the usual header: pass rows through as they are
    last_line = reader.line_num
    for fields in reader:
        label = f"line {last_line + 1}"
        last_line = reader.line_num
        if not fields:
            continue
        if len(fields) != width:
            problem = RowError("(row)", ",".join(fields),
                               f"has {len(fields)} values where the header has {width}")
            yield label, [fields[i] if i is not None and i < len(fields) else None
                          for i in picks], problem
            continue
        if identity:
            yield label, fields, None
        else:
            yield label, [fields[i] if i is not None else None for i in picks], None


def _check_record(path, kind, record, label, warn, seen_keys: set) -> None:
    new = record.keys() - seen_keys
    if new:
        seen_keys.update(new)
        for key in new:
            meant = kinds.near_miss(kind, key)
            if meant:
                raise DataError(f"{path} {label}: field {key!r} is not a {kind.name} field; "
                                f"did you mean {meant!r}? Rename it and import again")
        extra = [k for k in new if k not in kind.column_names]
        if extra:
            warn(f"{path}: ignoring field(s) {', '.join(repr(e) for e in sorted(extra))}, "
                 f"which are not {kind.name} fields")


def _ndjson_records(path, text, kind, warn):
    seen: set = set()
    for number, line in enumerate(text, 1):
        if not line.strip():
            continue
        label = f"line {number}"
        line = line.rstrip("\r\n")
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            # A bad line is a bad row: --skip-invalid keeps it, text and all, in the rejects.
            yield label, [None] * len(kind.column_names), RowError(
                "(line)", line, f"is not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        except RecursionError:
            yield label, [None] * len(kind.column_names), RowError(
                "(line)", line[:80], "nests arrays or objects too deeply to be a record")
            continue
        if not isinstance(record, dict):
            yield label, [None] * len(kind.column_names), RowError(
                "(line)", line, f"is a JSON {type(record).__name__}, not an object")
            continue
        _check_record(path, kind, record, label, warn, seen)
        yield label, [record.get(c) for c in kind.column_names], None


def _json_records(path, text, kind, warn):
    """The objects of a JSON array, decoded one at a time from chunks."""
    decoder = json.JSONDecoder()
    seen: set = set()
    buffer, pos, number = "", 0, 0
    eof = False

    def fill() -> bool:
        nonlocal buffer, pos, eof
        chunk = text.read(1 << 16)
        if not chunk:
            eof = True
            return False
        buffer = buffer[pos:] + chunk
        pos = 0
        return True

    def skip_space() -> None:
        nonlocal pos
        while True:
            while pos < len(buffer) and buffer[pos] in " \t\r\n":
                pos += 1
            if pos < len(buffer) or not fill():
                return

    skip_space()
    if pos >= len(buffer) or buffer[pos] != "[":
        raise DataError(f"{path}: a .json file must hold one array of {kind.name} objects; "
                        "use .ndjson for one object per line")
    pos += 1
    expect_value = True
    while True:
        skip_space()
        if pos >= len(buffer):
            raise DataError(f"{path}: the array ends early after record {number} "
                            "(truncated file?); nothing of it was stored")
        char = buffer[pos]
        if char == "]" and (number == 0 or not expect_value):
            pos += 1
            skip_space()
            if pos < len(buffer):
                raise DataError(f"{path}: unexpected text after the array")
            return
        if char == "," and not expect_value:
            pos += 1
            expect_value = True
            continue
        if not expect_value:
            raise DataError(f"{path}: expected ',' or ']' after record {number}")
        while True:
            try:
                record, end = decoder.raw_decode(buffer, pos)
                if end == len(buffer) and not eof and fill():
                    continue  # a number may go on in the next chunk
                break
            except RecursionError:
                raise DataError(f"{path} record {number + 1}: nests arrays or objects too "
                                "deeply to be a record; fix the file and import again") from None
            except json.JSONDecodeError as exc:
                if not eof and fill():
                    continue
                raise DataError(f"{path} record {number + 1}: not valid JSON ({exc.msg}); "
                                "fix the record and import again") from None
        pos = end
        number += 1
        expect_value = False
        label = f"record {number}"
        if not isinstance(record, dict):
            yield label, [None] * len(kind.column_names), RowError(
                "(record)", record, f"is a JSON {type(record).__name__}, not an object")
            continue
        _check_record(path, kind, record, label, warn, seen)
        yield label, [record.get(c) for c in kind.column_names], None


def _records(path: Path, fmt: str, text, kind: Kind, warn):
    reader = {"csv": _csv_records, "ndjson": _ndjson_records, "json": _json_records}[fmt]
    return reader(path, text, kind, warn)


class _Store:
    """Batches rows of one kind into the database, finding duplicate ids as it goes."""

    def __init__(self, conn: sqlite3.Connection, kind: Kind, path: str, *, track_ids: bool = True):
        self.conn, self.kind, self.path = conn, kind, path
        self.track_ids = track_ids  # off only for a load into an empty table (see import_file)
        self.rows: list[tuple] = []
        self.labels: list[str] = []
        self.written = 0
        self.rejected = 0
        self.parked: list[tuple[tuple, str]] = []  # users waiting for a username (see finish)
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS import_ids"
                     " (id INTEGER PRIMARY KEY, label TEXT NOT NULL)")
        conn.execute("DELETE FROM temp.import_ids")

    def add(self, label: str, row: tuple) -> None:
        self.rows.append(row)
        self.labels.append(label)
        if len(self.rows) >= BATCH:
            self.flush(None)

    def flush(self, reject: Callable[[str, tuple, str], None] | None) -> None:
        """Store the pending rows; a duplicate id or username is rejected or raised."""
        rows, labels = self.rows, self.labels
        self.rows, self.labels = [], []
        if not rows:
            return
        if not self.track_ids:
            try:
                self.written += self.conn.executemany(self.kind.upsert, rows).rowcount
            except sqlite3.IntegrityError:
                raise _Duplicates() from None  # a repeated username: redo the careful way
            return
        self.conn.execute("SAVEPOINT batch")
        try:
            self.conn.executemany("INSERT INTO temp.import_ids (id, label) VALUES (?, ?)",
                                  [(row[0], label) for row, label in zip(rows, labels)])
            written = self.conn.executemany(self.kind.upsert, rows).rowcount
        except sqlite3.IntegrityError:
            # Undo what the batch stored before it failed, then find the offending
            # rows one by one (rare: only on a bad batch).
            self.conn.execute("ROLLBACK TO batch")
            self.conn.execute("RELEASE batch")
        else:
            self.conn.execute("RELEASE batch")
            self.written += written
            return
        for row, label in zip(rows, labels):
            problem = self._store_one(row, label)
            if problem:
                if reject is None:
                    raise DataError(f"{self.path} {label}: {problem}; fix the row or rerun "
                                    "with --skip-invalid")
                self.rejected += 1
                reject(label, row, problem)

    def finish(self, reject: Callable[[str, tuple, str], None] | None) -> None:
        """Store what is pending, then the users parked for a username that was taken.

        Their current usernames are set aside first, so users who swap names in
        one file both get theirs; a name still taken then is a real clash.
        """
        self.flush(reject)
        parked, self.parked = self.parked, []
        if not parked:
            return
        ids = [(row[0],) for row, _ in parked]
        before = dict(self.conn.execute(
            f"SELECT id, username FROM users WHERE id IN ({','.join('?' * len(ids))})",
            [i for (i,) in ids]).fetchall())
        self.conn.executemany("UPDATE users SET username = '(moving) ' || id WHERE id = ?", ids)
        for row, label in parked:
            try:
                self.conn.execute("SAVEPOINT one_row")
                self.written += self.conn.execute(self.kind.upsert, row).rowcount
                self.conn.execute("RELEASE one_row")
                continue
            except sqlite3.IntegrityError:
                self.conn.execute("ROLLBACK TO one_row")
                self.conn.execute("RELEASE one_row")
            other = self.conn.execute("SELECT id FROM users WHERE username = ?",
                                      (row[1],)).fetchone()
            owner = f"user {other[0]}" if other else "another user"
            problem = (f"column username: value {row[1]!r} already belongs to {owner}; "
                       "usernames are unique")
            if reject is None or row[0] in before and not self._restore(row[0], before[row[0]]):
                raise DataError(f"{self.path} {label}: {problem}; fix the row or rerun "
                                "with --skip-invalid")
            self.rejected += 1
            reject(label, row, problem)

    def _restore(self, user_id: int, username: str) -> bool:
        """Give a rejected user back her username; False if another row took it."""
        try:
            self.conn.execute("UPDATE users SET username = ? WHERE id = ?", (username, user_id))
            return True
        except sqlite3.IntegrityError:
            return False

    def _store_one(self, row: tuple, label: str) -> str | None:
        first = self.conn.execute("SELECT label FROM temp.import_ids WHERE id = ?",
                                  (row[0],)).fetchone()
        if first:
            return f"column id: value {row[0]} appears twice in this file (first at {first[0]})"
        try:
            self.conn.execute("SAVEPOINT one_row")
            self.written += self.conn.execute(self.kind.upsert, row).rowcount
        except sqlite3.IntegrityError:
            self.conn.execute("ROLLBACK TO one_row")
            self.conn.execute("RELEASE one_row")
            # Its username is taken; a later row of this file may free it (a swap).
            self.parked.append((row, label))
        else:
            self.conn.execute("RELEASE one_row")
        self.conn.execute("INSERT INTO temp.import_ids (id, label) VALUES (?, ?)", (row[0], label))
        return None


def _count(conn: sqlite3.Connection, table: str) -> int:
    return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def _drop_indexes(conn: sqlite3.Connection, table: str) -> list[str]:
    """Drop a table's non-unique indexes for a bulk load; returns the SQL to rebuild them.

    Building an index once from sorted data is several times faster than
    updating it row by row; it all happens inside the import's transaction.
    """
    rows = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?"
        " AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'", (table,)
    ).fetchall()
    for name, _ in rows:
        conn.execute(f'DROP INDEX "{name}"')
    return [statement for _, statement in rows]


def _is_bulk(before: int, size: int) -> bool:
    """Whether a file is large next to its table (a row takes at least ~25 bytes)."""
    return size // 25 > before


def _remove_missing(conn: sqlite3.Connection, table: str) -> int:
    """Delete stored rows the import did not have (triggers cascade what hangs on them)."""
    return conn.execute(
        f"DELETE FROM {table} WHERE id NOT IN (SELECT id FROM temp.import_ids)"
    ).rowcount


def store_rows(conn: sqlite3.Connection, kind: Kind, rows: Iterable[tuple], *, replace: bool,
               source: str) -> FileResult:
    """Store already-parsed rows of one kind (caller holds the transaction)."""
    result = FileResult(source, kind.name)
    before = _count(conn, kind.name)
    store = _Store(conn, kind, source)
    for number, row in enumerate(rows, 1):
        store.add(f"row {number}", row)
        result.rows += 1
    store.finish(None)
    if replace:
        result.removed = _remove_missing(conn, kind.name)
    result.added = _count(conn, kind.name) - before + result.removed
    result.changed = store.written - result.added
    return result


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


class _Rejects:
    """``<stem>.rejects.csv``: every rejected row, as given, with its reason."""

    def __init__(self, path: Path, columns: tuple[str, ...]):
        self.path, self.columns = path, columns
        self.handle = None
        self.writer = None
        self.count = 0

    def write(self, label: str, raw: Iterable[Any], reason: str) -> None:
        """One rejected row: its values in schema column order, where and why."""
        if self.writer is None:
            try:
                self.handle = open(self.path, "w", encoding="utf-8", newline="")
            except OSError as exc:
                raise DataError(f"cannot write the rejects file {self.path} ({exc.strerror}); "
                                "nothing of the file was stored: fix the --rejects path") from None
            self.writer = csv.writer(self.handle, lineterminator="\n")
            self.writer.writerow(self.columns + REJECT_COLUMNS)
        cells = ["" if value is None else _cell(value) for value in raw]
        self.writer.writerow(cells + [label, reason])
        self.count += 1

    def reset(self) -> None:
        """Forget what was written (the import starts over)."""
        self.close()
        self.handle = self.writer = None
        self.count = 0

    def close(self) -> None:
        if self.handle:
            self.handle.close()


def import_file(database: Database, path: Path, *, kind: str | None = None,
                replace: bool = False, skip_invalid: bool = False,
                rejects: Path | None = None, dry_run: bool = False,
                warn: Callable[[str], None] = lambda _m: None,
                on_progress: Callable[[int, int], None] | None = None,
                before_commit: Callable[[sqlite3.Connection], None] | None = None) -> FileResult:
    """Import one activity file in one transaction; raises DataError on a bad row
    unless ``skip_invalid``, in which case bad rows go to the rejects file.
    ``before_commit(conn)`` runs last inside that transaction (``watch`` records
    the file in its ledger there)."""
    if replace and skip_invalid:
        raise UsageError("--replace with --skip-invalid is refused: a file with rejected rows "
                         "is not a complete set; fix the file, or import without --replace")
    the_kind = kind_of(path, kind)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise DataError(f"{path}: unknown format {path.suffix!r}; use .csv, .ndjson, .jsonl or .json")
    try:
        size = path.stat().st_size
        raw = open(path, "rb")
    except FileNotFoundError:
        raise DataError(f"{path}: no such file; check the path") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a folder, not a file") from None
    except PermissionError:
        raise DataError(f"{path}: cannot be read (permission denied)") from None
    if rejects is not None and not rejects.parent.is_dir():
        raw.close()
        raise UsageError(f"--rejects {rejects}: the folder {rejects.parent} does not exist; "
                         "create it or choose another path")
    if size == 0:
        raw.close()
        raise DataError(f"{path}: the file is empty (0 bytes), not even a header; "
                        "was the export cut short?")
    counting = _Counting(raw)
    text = io.TextIOWrapper(io.BufferedReader(counting, 1 << 16), encoding="utf-8-sig", newline="")
    rejects_path = rejects or path.with_name(path.name.rsplit(".", 1)[0] + ".rejects.csv")
    reject_file = _Rejects(rejects_path, the_kind.column_names)
    try:
        try:
            result, store = _load(database, path, fmt, text, the_kind, size, reject_file, counting,
                                  replace=replace, skip_invalid=skip_invalid, dry_run=dry_run,
                                  warn=warn, on_progress=on_progress, before_commit=before_commit,
                                  fast=True)
        except _Duplicates:
            # A load into an empty table skips the per-row duplicate check and found one
            # at the end: do it again the careful way, which names the row.
            text.seek(0)
            counting.done = 0
            reject_file.reset()
            result, store = _load(database, path, fmt, text, the_kind, size, reject_file, counting,
                                  replace=replace, skip_invalid=skip_invalid, dry_run=dry_run,
                                  warn=lambda _m: None, on_progress=on_progress,
                                  before_commit=before_commit, fast=False)
    except UnicodeDecodeError:
        raise DataError(f"{path}: not valid UTF-8 ({_first_bad_utf8(path)}); "
                        "save the file as UTF-8 and import again") from None
    except csv.Error as exc:
        raise DataError(f"{path}: not valid CSV ({exc}); fix the file and import again") from None
    finally:
        reject_file.close()
        text.close()
    if on_progress:
        on_progress(size, size)
    result.rejected = reject_file.count
    result.rows -= store.rejected
    result.rejects_path = reject_file.path if reject_file.count else None
    return result


def _first_bad_utf8(path: Path) -> str:
    """Where a file first breaks UTF-8: line, byte offset and the bytes."""
    offset = 0
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, 1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as exc:
                return (f"line {number}, byte offset {offset + exc.start}: "
                        f"{line[exc.start:exc.end]!r}")
            offset += len(line)
    return "the file changed while it was read"


class _Duplicates(Exception):
    """A fast load found fewer new rows than it stored: the file repeats an id."""


def _load(database, path, fmt, text, the_kind, size, reject_file, counting, *, replace,
          skip_invalid, dry_run, warn, on_progress, before_commit, fast):
    result = FileResult(str(path), the_kind.name)
    with database.transaction(keep=not dry_run) as conn:
        before = _count(conn, the_kind.name)
        rebuild = _drop_indexes(conn, the_kind.name) if _is_bulk(before, size) else []
        fast = fast and before == 0
        store = _Store(conn, the_kind, str(path), track_ids=not fast)

        def reject(where: str, row: tuple, problem: str) -> None:
            reject_file.write(where, row, problem)

        for label, values, problem in _records(path, fmt, text, the_kind, warn):
            try:
                if problem:
                    raise problem
                row = kinds.parse_values(the_kind, values)
            except RowError as exc:
                if not skip_invalid:
                    raise DataError(f"{path} {label}: {exc}; fix the row or rerun with "
                                    "--skip-invalid") from None
                reject_file.write(label, values, str(exc))
                continue
            result.rows += 1
            store.rows.append(row)
            store.labels.append(label)
            if len(store.rows) >= BATCH:
                store.flush(reject if skip_invalid else None)
                if on_progress:
                    on_progress(counting.done, size)
        store.finish(reject if skip_invalid else None)
        if fast and _count(conn, the_kind.name) != result.rows:
            raise _Duplicates()
        for statement in rebuild:
            conn.execute(statement)
        if replace and not fast:
            result.removed = _remove_missing(conn, the_kind.name)
        result.added = _count(conn, the_kind.name) - before + result.removed
        result.changed = store.written - result.added
        if result.added or result.changed or result.removed:
            # Stale until the closing recalculation: a kill or an error before it
            # must not leave scores silently behind the stored activity.
            mark_stale(conn)
        if before_commit:
            before_commit(conn)
    return result, store


def import_dump(database: Database, folder: Path,
                on_step: Callable[[str], None] = lambda _s: None):
    """Make the database match a Stack Exchange dump, in one transaction.

    Returns the per-kind results and the dump's summary of skipped rows.
    """
    from scorekeeper.stackexchange import DumpError, StackExchangeDump

    try:
        dump = StackExchangeDump(folder)
        results = []
        with database.transaction() as conn:
            for name in kinds.IMPORT_ORDER:
                on_step(name)
                rows = getattr(dump, name)()
                results.append(store_rows(conn, kinds.KINDS[name], rows, replace=True,
                                          source=f"{folder} ({name})"))
            if any(r.added or r.changed or r.removed for r in results):
                mark_stale(conn)  # until the closing recalculation, as for a file
    except DumpError as exc:
        raise DataError(f"{exc}; nothing of the dump was stored") from None
    return results, dump.summary
