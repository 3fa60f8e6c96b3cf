#!/usr/bin/env python3
"""Benchmark scorekeeper the way users run it, beside a naive loop and DuckDB.

    python bench/run.py --size S     # a minute or two; writes bench/RESULTS-S.md
    python bench/run.py --size L     # 30 to 45 minutes; writes bench/RESULTS.md

What it measures, the goals and every option: bench/README.md. Exits 1 when
the peers' scores differ from scorekeeper's or the hooks leave drift, 2 when a
command fails.
"""

from __future__ import annotations

import argparse
import csv
import os
import shlex
import shutil
import sqlite3
import sys
from collections import deque
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import dataset
import events
import peers
import report
from measure import CommandFailed, Launcher, Measurement, measure, time_calls

BENCH = Path(__file__).resolve().parent
PEERS = BENCH / "peers.py"
READ_RUNS = 3  # reads are quick: they run this many times --repeat
DRIFT_USERS = 100  # forced drift: every user whose id this divides (1%)
OTHER_DAY = 91  # `risers --as-of`: this many days before the data's last day

LABELS = {
    "import_no_recalc": "import --no-recalc of the six files (validation included)",
    "recalc_after_import": "recalc after import --no-recalc (writes every score)",
    "import": "import of the six files, closing recalculation included",
    "duckdb_import": "DuckDB: read_csv of the six files into tables",
    "duckdb_recalc": "DuckDB: every score from the loaded tables",
    "naive_recalc": "naive loop: one COUNT per weight per user",
    "export": "export of every listed user to CSV",
    "recalc": "recalc of an unchanged database",
    "recalc_check": "recalc --check of an unchanged database (exit 0)",
    "recalc_check_drift": "recalc --check after drift on 1% of users (exit 1)",
    "recalc_fix_drift": "recalc fixing drift on 1% of users",
    "leaderboard": "leaderboard --limit 50",
    "risers": "risers, default as-of (today)",
    "risers_as_of": "risers --as-of {other_day}",
    "show_lowest": "show the lowest-ranked user ({lowest})",
    "hook_stream": "hook - with {events:,} mixed events on stdin",
    "hook_one": "one hook like.created, as a process",
}


def say(text: str) -> None:
    print(f"bench: {text}", file=sys.stderr, flush=True)


def _fresh(db: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def _copy(source: Path, target: Path) -> None:
    """A consistent copy of a database (the WAL included)."""
    _fresh(target)
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def _force_drift(db: Path) -> None:
    conn = sqlite3.connect(db)
    try:
        with conn:
            conn.execute("UPDATE user_scores SET total_score = total_score + 1"
                         " WHERE user_id % ? = 0", (DRIFT_USERS,))
    finally:
        conn.close()


class Bench:
    """One benchmark run: the scratch folder, the commands and every measurement."""

    def __init__(self, data: dataset.DataSet, repeat: int, scratch: Path,
                 launcher: Launcher):
        self.data, self.repeat, self.scratch = data, repeat, scratch
        self.launcher = launcher
        self.db = scratch / "scorekeeper.db"
        self.exe = str(Path(sys.executable).parent / "scorekeeper")
        self.results: dict[str, Measurement] = {}
        self.peers: list[Measurement] = []
        self.in_process: list[Measurement] = []
        self.checks: list[str] = []
        self.checksums: dict[str, str] = {}
        self.facts: dict[str, object] = {}
        self.ok = True
        self.today = datetime.now(timezone.utc).date()
        self.other_day = data.end_date - timedelta(days=OTHER_DAY)

    def sk(self, command: str, *args: str, db: Path | None = None) -> list[str]:
        return [self.exe, command, "--db", str(db or self.db), *args]

    def new(self, key: str, argv: list[str], count: int | None = None,
            unit: str | None = None, *, peer: bool = False, **label) -> Measurement:
        names = {self.exe: "scorekeeper", sys.executable: "python",
                 str(PEERS): "bench/peers.py"}
        shown = shlex.join(names.get(arg, Path(arg).name if os.path.isabs(arg) else arg)
                           for arg in argv)
        m = Measurement(key, LABELS[key].format(**label), shown, count=count, unit=unit)
        self.results[key] = m
        if peer:
            self.peers.append(m)
        return m

    def run(self, argv: list[str], **options):
        return self.launcher.run(argv, cwd=self.scratch, **options)

    def timed(self, m: Measurement, argv: list[str], runs: int = 0, **options) -> None:
        measure(self.launcher, m, runs or self.repeat, argv, cwd=self.scratch, **options)
        self.said(m)

    @staticmethod
    def said(m: Measurement) -> None:
        rate = f", {m.rate:,.0f} {m.unit}" if m.rate else ""
        rss = f", peak RSS {m.peak_rss_mb:.0f} MB" if m.peak_rss_mb else ""
        say(f"{m.label}: median {m.median:.3f} s of {len(m.seconds)}{rate}{rss}")

    def imports(self) -> None:
        files = [str(path) for path in self.data.files]
        rows = self.data.total_rows
        bulk, closing = self.sk("import", "--no-recalc", *files), self.sk("recalc")
        a = self.new("import_no_recalc", bulk, rows, "rows/s")
        b = self.new("recalc_after_import", closing)
        for _ in range(self.repeat):
            _fresh(self.db)
            a.add(self.run(bulk))
            b.add(self.run(closing))
        self.said(a)
        self.said(b)
        plain = self.sk("import", *files)
        self.timed(self.new("import", plain, rows, "rows/s"), plain,
                   before=lambda: _fresh(self.db))
        self.facts["database after import"] = f"{self.db.stat().st_size / 1e6:,.0f} MB"

    def race(self) -> tuple[Path, Path]:
        """The peers' runs; returns their scores files (DuckDB's, the naive loop's)."""
        duck = self.scratch / "peer.duckdb"
        duck_scores = self.scratch / "duckdb-scores.csv"
        naive_scores = self.scratch / "naive-scores.csv"
        python = [sys.executable, str(PEERS)]
        argv = [*python, "duckdb-import", str(self.data.folder), str(duck)]
        self.timed(self.new("duckdb_import", argv, self.data.total_rows, "rows/s",
                            peer=True), argv)
        argv = [*python, "duckdb-recalc", str(duck)]
        self.timed(self.new("duckdb_recalc", argv, peer=True), argv)
        self.run([*python, "duckdb-dump", str(duck), str(duck_scores)])
        argv = [*python, "naive-recalc", str(self.db), str(naive_scores)]
        self.timed(self.new("naive_recalc", argv, peer=True), argv)
        return duck_scores, naive_scores

    def export(self) -> Path:
        out = self.scratch / "export.csv"
        argv = self.sk("export", "--format", "csv")
        m = self.new("export", argv, unit="rows/s")
        measure(self.launcher, m, self.repeat, argv, cwd=self.scratch, stdout=out)
        with open(out, newline="", encoding="utf-8") as f:
            m.count = sum(1 for _ in csv.reader(f)) - 1
        self.said(m)
        return out

    def compare(self, export: Path, duck_scores: Path, naive_scores: Path) -> None:
        """Checks that every peer's scores equal scorekeeper's."""
        sources = {"scorekeeper export": lambda: peers.read_export(export),
                   "naive loop": lambda: peers.read_scores(naive_scores),
                   "DuckDB": lambda: peers.read_scores(duck_scores)}
        digests = {name: peers.digest(rows()) for name, rows in sources.items()}
        self.checksums = {name: digest for name, (_, digest) in digests.items()}
        if len(set(digests.values())) == 1:
            count, digest = digests["scorekeeper export"]
            self.checks.append(f"scores agree: scorekeeper's export, the naive loop and "
                               f"DuckDB give the same {count:,} listed users and scores "
                               f"(checksum {digest[:16]})")
            return
        self.ok = False
        tables = {name: {row[0]: row[1:] for row in rows()}
                  for name, rows in sources.items()}
        ids = sorted(set().union(*tables.values()))
        differ = [i for i in ids if len({str(t.get(i)) for t in tables.values()}) > 1]
        shown = "; ".join(f"user {i}: " + ", ".join(f"{name} {t.get(i)}"
                                                    for name, t in tables.items())
                          for i in differ[:10])
        self.checks.append(f"**scores DIFFER** for {len(differ):,} users; (total, post "
                           f"likes, review votes, comment likes, creation) in thousandths, "
                           f"the first ones: {shown}")
        say(self.checks[-1])

    def recalcs(self) -> None:
        recalc, check = self.sk("recalc"), self.sk("recalc", "--check")
        self.timed(self.new("recalc", recalc), recalc)
        self.timed(self.new("recalc_check", check), check)
        _force_drift(self.db)
        self.timed(self.new("recalc_check_drift", check), check, expect=(1,))
        self.timed(self.new("recalc_fix_drift", recalc), recalc,
                   before=lambda: _force_drift(self.db))

    def reads(self, lowest: int) -> None:
        for key, command, args in (
            ("leaderboard", "leaderboard", ("--limit", "50")),
            ("risers", "risers", ()),
            ("risers_as_of", "risers", ("--as-of", str(self.other_day))),
            ("show_lowest", "show", (str(lowest),)),
        ):
            argv = self.sk(command, *args, "--format", "csv")
            m = self.new(key, argv, other_day=self.other_day, lowest=lowest)
            self.timed(m, argv, READ_RUNS * self.repeat)

    def reads_in_process(self, lowest: int) -> None:
        from scorekeeper import ranking
        from scorekeeper.config import load_settings
        from scorekeeper.db import Database
        from scorekeeper.scoring import Scoring

        settings = load_settings(None, {"db": self.db}).settings
        scoring = Scoring.from_settings(settings)
        database = Database(self.db, settings.busy_timeout_seconds, write=False)
        today, other = self.today, self.other_day
        calls = (
            ("leaderboard", ranking.leaderboard, (today, 50)),
            ("risers", ranking.risers, (today, 20)),
            ("risers --as-of", ranking.risers, (other, 20)),
            ("show the lowest-ranked user", ranking.show, (today, lowest)),
        )
        try:
            for label, function, args in calls:
                def call(function=function, args=args):
                    with database.snapshot() as conn:
                        return function(conn, scoring, *args)

                shown = f"ranking.{function.__name__}(conn, scoring, {', '.join(map(str, args))})"
                m = time_calls(Measurement(label, label, shown), call)
                self.in_process.append(m)
                say(f"in one process, {label}: median {m.median * 1000:.1f} ms "
                    f"of {len(m.seconds)}")
        finally:
            database.close()

    def hooks(self, n_events: int, calls: int) -> None:
        maker = events.EventMaker(self.data, n_events, self.data.seed)
        stream, hook_db = self.scratch / "events.ndjson", self.scratch / "hooks.db"
        count = events.write_stream(maker, n_events, stream)
        argv = self.sk("hook", "-", db=hook_db)
        m = self.new("hook_stream", argv, count, "events/s", events=count)
        self.timed(m, argv, before=lambda: _copy(self.db, hook_db), stdin=stream)
        singles = [self.sk("hook", *events.single_hook_args(maker), db=hook_db)
                   for _ in range(calls)]
        m = self.new("hook_one", singles[0])
        for argv in singles:
            m.add(self.run(argv))
        self.said(m)
        check = self.run(self.sk("recalc", "--check", db=hook_db), expect=(0, 1))
        after = f"after the hook stream and {calls} single hooks, `recalc --check`"
        if check.exit_code == 0:
            self.checks.append(f"{after} finds no drift")
        else:
            self.ok = False
            self.checks.append(f"**drift**: {after} exits 1")
            say(self.checks[-1])

    def execute(self, n_events: int, hook_calls: int) -> None:
        self.imports()
        duck_scores, naive_scores = self.race()
        export = self.export()
        self.compare(export, duck_scores, naive_scores)
        # listed last: the lowest rank, the most users ahead of it
        lowest = deque(peers.read_export(export), maxlen=1)[0][0]
        self.recalcs()
        self.reads(lowest)
        self.reads_in_process(lowest)
        self.hooks(n_events, hook_calls)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    sizes = ", ".join(f"{k} = {u:,} users and {r:,} rows"
                      for k, (u, r) in dataset.SIZES.items())
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", choices=list(dataset.SIZES), default="S",
                   help=f"data size: {sizes} (default S)")
    p.add_argument("--users", type=int, help="users, instead of the size's")
    p.add_argument("--rows", type=int, help="activity rows, instead of the size's")
    p.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    p.add_argument("--end-date", type=date.fromisoformat,
                   default=datetime.now(timezone.utc).date(),
                   help="last day of the data's activity (default today, UTC, so that "
                        "risers' default as-of date falls in it)")
    p.add_argument("--repeat", type=int, default=3,
                   help="runs of each command, shown as median, min and max (default 3)")
    p.add_argument("--events", type=int, default=100_000,
                   help="events in the `hook -` stream (default 100,000)")
    p.add_argument("--hook-calls", type=int, default=50,
                   help="single `hook` processes (default 50)")
    p.add_argument("--work", type=Path, default=BENCH / "data",
                   help="data sets and scratch databases (default bench/data)")
    p.add_argument("--out", type=Path,
                   help="the report (default bench/RESULTS.md for L, "
                        "else bench/RESULTS-<size>.md)")
    p.add_argument("--keep", action="store_true",
                   help="keep the scratch databases in <work>/<size>/run")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    preset = dataset.SIZES[args.size]
    users, rows = args.users or preset[0], args.rows or preset[1]
    label = args.size if (users, rows) == preset else f"{users}u-{rows}r"
    name = "RESULTS.md" if label == "L" else f"RESULTS-{label}.md"
    out = (args.out or BENCH / name).resolve()
    work = args.work.resolve()
    # default settings only: the peers compute SPEC's default weights
    for variable in [v for v in os.environ if v.upper().startswith("SCOREKEEPER_")]:
        del os.environ[variable]
    launcher = Launcher()  # now, while this process is small (see bench/spawn.py)
    data = dataset.ensure_data(work, label, users, rows, args.seed, args.end_date, say)
    scratch = data.folder / "run"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    os.chdir(scratch)  # no scorekeeper.toml here, for the commands and in-process calls
    bench = Bench(data, args.repeat, scratch, launcher)
    load_before = os.getloadavg()[0]
    try:
        bench.execute(args.events, args.hook_calls)
    except CommandFailed as exc:
        say(str(exc))
        return 2
    finally:
        launcher.close()

    facts = {"size": label, **data.counts, "rows in all": data.total_rows,
             "CSV files": f"{data.megabytes:,.0f} MB",
             "made by": f"sample_data/generate.py --users {users} --rows {rows} "
                        f"--seed {args.seed} --end-date {args.end_date}",
             **bench.facts, "default as-of (today)": str(bench.today),
             "other as-of": str(bench.other_day),
             # other work on the machine shows here, and in the spread of the runs
             "load average (1 min), start and end": f"{load_before:.2f}, "
                                                    f"{os.getloadavg()[0]:.2f}"}
    shown = shlex.join(["python", "bench/run.py",
                        *(argv if argv is not None else sys.argv[1:])])
    # this run's figures first: the report compares peak RSS across sizes from them
    (data.folder / "results.json").write_text(
        report.to_json(facts, bench.results, bench.checks, bench.checksums, bench.ok))
    out.write_text(report.render(
        title=f"scorekeeper benchmark, size {label}", command=shown, data=facts,
        results=bench.results, in_process=bench.in_process, peers=bench.peers,
        checks=bench.checks, work=work))
    say(f"wrote {out}")
    if not args.keep:
        os.chdir(data.folder)
        shutil.rmtree(scratch)
    return 0 if bench.ok else 1


if __name__ == "__main__":
    sys.exit(main())
