"""The benchmark's Markdown report: machine, data, every figure beside its goal.

Goals are those of issue 4, set for size L on a 2-core machine; smaller sizes
print them too, as a guide.
"""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import subprocess
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from measure import Measurement

MB = 1024  # ru_maxrss is KiB
RSS_LIMIT_MB = 150
RSS_GROWTH = 1.25  # "not growing": the largest size within 25% of the smallest
RSS_KEYS = ("import_no_recalc", "import", "recalc_after_import", "recalc")
RECALC_KEYS = ("recalc_after_import", "recalc")

Results = dict[str, Measurement]
# (goal text, whether it was met) for one measurement, given all of them
Goal = Callable[[Measurement, Results], list[tuple[str, bool]]]


def _seconds(limit: float) -> Goal:
    text = f"≤ {limit * 1000:.0f} ms" if limit < 1 else f"≤ {limit:g} s"
    return lambda m, _all: [(text, m.median <= limit)]


def _rate(limit: int, unit: str) -> Goal:
    return lambda m, _all: [(f"≥ {limit:,} {unit}", (m.rate or 0) >= limit)]


def _rss(m: Measurement) -> list[tuple[str, bool]]:
    return [(f"peak RSS ≤ {RSS_LIMIT_MB} MB", m.peak_rss_mb <= RSS_LIMIT_MB)]


def _recalc(m: Measurement, results: Results) -> list[tuple[str, bool]]:
    parts = [("≤ 4 s", m.median <= 4)]
    duck = results.get("duckdb_recalc")
    if duck:
        parts.append((f"≤ 4× DuckDB's {duck.median:.2f} s", m.median <= 4 * duck.median))
    return parts + _rss(m)


GOALS: dict[str, Goal] = {
    "import_no_recalc": lambda m, r: _rate(300_000, "rows/s")(m, r) + _rss(m),
    "import": lambda m, _r: _rss(m),
    "recalc_after_import": _recalc,
    "recalc": _recalc,
    "recalc_check": _seconds(4),
    "recalc_check_drift": _seconds(4),
    "recalc_fix_drift": _seconds(4),
    "leaderboard": _seconds(0.15),
    "risers": _seconds(0.15),
    "risers_as_of": _seconds(1),
    "show_lowest": _seconds(0.15),
    "hook_stream": _rate(30_000, "events/s"),
    "hook_one": _seconds(0.1),
}


def machine() -> dict[str, str]:
    """What the figures depend on: hardware and the versions of everything timed."""
    import duckdb

    import scorekeeper

    info = {"processors (nproc)": str(os.cpu_count())}
    with open("/proc/meminfo") as f:
        total_kib = int(f.readline().split()[1])
    info["memory"] = f"{total_kib / 1024 / 1024:.1f} GiB"
    with open("/proc/cpuinfo") as f:
        models = [line.split(":", 1)[1].strip()
                  for line in f if line.startswith("model name")]
    info["CPU"] = models[0] if models else platform.processor()
    info["OS"] = f"{platform.system()} {platform.release()}"
    info["Python"] = platform.python_version()
    info["SQLite"] = sqlite3.sqlite_version
    info["DuckDB"] = duckdb.__version__
    source = _source(Path(scorekeeper.__file__).parent)
    info["scorekeeper"] = f"{scorekeeper.__version__} ({source})"
    return info


def _source(package: Path) -> str:
    """Where the timed scorekeeper comes from: its commit, and whether it was edited."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(package), *args], capture_output=True,
                              text=True).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD")
    if not commit:
        return str(package)
    edited = git("status", "--porcelain", "--", ".")
    return f"commit {commit}" + (", with uncommitted changes" if edited else "")


def _f(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _goal_cell(m: Measurement, results: Results) -> str:
    goal = GOALS.get(m.key)
    if goal is None:
        return "—"
    return "; ".join(f"{text}: {'met' if ok else '**missed**'}"
                     for text, ok in goal(m, results))


def _figures(rows: list[Measurement], results: Results) -> list[str]:
    lines = ["| what | command | runs | median s | min s | max s | throughput "
             "| peak RSS MB | goal |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for m in rows:
        rate = f"{m.rate:,.0f} {m.unit}" if m.rate else "—"
        lines.append(f"| {m.label} | `{m.command}` | {len(m.seconds)} | {_f(m.median)} "
                     f"| {_f(min(m.seconds))} | {_f(max(m.seconds))} | {rate} "
                     f"| {_f(m.peak_rss_mb, 1)} | {_goal_cell(m, results)} |")
    return lines


def _in_process(rows: list[Measurement]) -> list[str]:
    lines = ["| what | call | calls | median ms | min ms | max ms |",
             "| --- | --- | ---: | ---: | ---: | ---: |"]
    for m in rows:
        ms = " | ".join(f"{seconds * 1000:.1f}"
                        for seconds in (m.median, min(m.seconds), max(m.seconds)))
        lines.append(f"| {m.label} | `{m.command}` | {len(m.seconds)} | {ms} |")
    return lines


def _ratio_lines(results: Results) -> list[str]:
    lines = []
    pairs = [("recalc_after_import", "naive_recalc"), ("recalc", "naive_recalc"),
             ("recalc_after_import", "duckdb_recalc"), ("recalc", "duckdb_recalc"),
             ("import_no_recalc", "duckdb_import")]
    for ours, theirs in pairs:
        if ours in results and theirs in results:
            a, b = results[ours], results[theirs]
            ratio = a.median / b.median
            lines.append(f"- {a.label} ({a.median:.2f} s) vs {b.label} ({b.median:.2f} s): "
                         f"scorekeeper takes **{ratio:.2f}×** the peer's time"
                         + (f" ({1 / ratio:.1f}× faster)" if ratio < 1 else ""))
    return lines


def _rss_across_sizes(work: Path) -> list[str]:
    sizes = {}
    for label in ("XS", "S", "M", "L"):
        path = work / label / "results.json"
        if path.exists():
            sizes[label] = json.loads(path.read_text())
    if len(sizes) < 2:
        return ["Only one size has results so far; run the others to compare."]
    names = list(sizes)
    lines = [f"| command | {' | '.join(names)} | growth, smallest to largest "
             f"| not growing (≤ {RSS_GROWTH}×) |",
             "| --- |" + " ---: |" * len(names) + " ---: | --- |"]
    for key in RSS_KEYS:
        peaks = [sizes[n]["measurements"].get(key, {}).get("peak_rss_mb")
                 for n in names]
        if None in peaks:
            continue
        growth = peaks[-1] / peaks[0]
        cells = " | ".join(f"{p:.1f}" for p in peaks)
        lines.append(f"| {key} | {cells} | {growth:.2f}× | "
                     f"{'met' if growth <= RSS_GROWTH else '**missed**'} |")
    rows = " · ".join(f"{n}: {sizes[n]['data']['rows in all']:,} rows" for n in names)
    return lines + ["", f"Sizes: {rows} (figures from each size's latest run)."]


def render(*, title: str, command: str, data: dict, results: Results, in_process: list,
           peers: list, checks: list[str], work: Path) -> str:
    """The whole report as Markdown."""
    ours = [m for m in results.values() if m.key not in {p.key for p in peers}]
    lines = [f"# {title}", "",
             f"Made by `{command}` on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC. "
             "Every command ran as its own process, as a user runs it, with `--db` given, "
             "stdout to /dev/null (export to a file) and default settings; times are wall "
             "seconds; peak RSS is the process's own `ru_maxrss` (it starts from a small "
             "helper, bench/spawn.py, so the harness's size does not leak into it). Goals "
             "are set for size L on this 2-core machine.", "", "## Machine", "", "| | |", "| --- | --- |"]
    lines += [f"| {key} | {value} |" for key, value in machine().items()]
    lines += ["", "## Data", "", "| | |", "| --- | --- |"]
    lines += [f"| {key} | {value:,} |" if isinstance(value, int)
              else f"| {key} | {value} |" for key, value in data.items()]
    lines += ["", "## scorekeeper", ""] + _figures(ours, results)
    lines += ["", "## The same reads in one process", "",
              "`scorekeeper.ranking` called on one open database (median of many calls, "
              "after one warm-up call):", ""] + _in_process(in_process)
    lines += ["", "## Peers", "",
              "The naive loop: for each user one COUNT query per weight, on scorekeeper's "
              "database and indexes (bench/peers.py). DuckDB: `read_csv` of the six files "
              "into tables (types checked), then one query for every score.", ""]
    lines += _figures(peers, results) + [""] + _ratio_lines(results)
    lines += ["", "## Peak RSS across sizes (MB)", ""] + _rss_across_sizes(work)
    lines += ["", "## Checks", ""] + [f"- {line}" for line in checks]
    return "\n".join(lines) + "\n"


def to_json(data: dict, results: Results, checks: list[str], checksums: dict[str, str],
            ok: bool) -> str:
    """The figures for later runs (the RSS comparison across sizes) and for tests."""
    return json.dumps({
        "data": data,
        "ok": ok,
        "checks": checks,
        "checksums": checksums,
        "measurements": {key: {"label": m.label, "command": m.command,
                               "seconds": m.seconds, "median": m.median,
                               "rate": m.rate, "peak_rss_mb": m.peak_rss_mb}
                         for key, m in results.items()},
    }, indent=2, ensure_ascii=False) + "\n"
