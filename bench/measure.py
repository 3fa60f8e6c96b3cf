"""Timing commands the way a user runs them: whole processes, wall time and peak RSS.

Commands start from a small helper process (bench/spawn.py, which says why),
which times each one and reads its peak RSS from ``os.wait4``: ``ru_maxrss``,
KiB on Linux.
"""

from __future__ import annotations

import json
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

SPAWN = Path(__file__).resolve().parent / "spawn.py"


class CommandFailed(RuntimeError):
    """A measured command exited with a code the benchmark did not expect."""


@dataclass
class Run:
    seconds: float
    peak_rss_kib: int
    exit_code: int


@dataclass
class Measurement:
    """Every run of one command (or one in-process call), with what it handled."""

    key: str  # stable name, e.g. "import_no_recalc"; goals and other sizes refer to it
    label: str  # what was measured, for the table
    command: str  # as a user would type it
    seconds: list[float] = field(default_factory=list)
    peak_rss_kib: list[int] = field(default_factory=list)  # empty when in-process
    count: int | None = None  # rows or events handled per run
    unit: str | None = None  # "rows/s" or "events/s"

    def add(self, run: Run) -> Run:
        self.seconds.append(run.seconds)
        self.peak_rss_kib.append(run.peak_rss_kib)
        return run

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def rate(self) -> float | None:
        return self.count / self.median if self.count and self.median else None

    @property
    def peak_rss_mb(self) -> float | None:
        return max(self.peak_rss_kib) / 1024 if self.peak_rss_kib else None


class Launcher:
    """Runs commands through the helper process; start it while the harness is small."""

    def __init__(self) -> None:
        # -S: no site-packages, so the helper stays a bare interpreter
        self.helper = subprocess.Popen([sys.executable, "-S", str(SPAWN)], text=True,
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def run(self, argv: Sequence[str], *, cwd: Path, stdin: Path | None = None,
            stdout: Path | None = None, expect: tuple[int, ...] = (0,)) -> Run:
        """Run one process to its end; raises CommandFailed on an unexpected exit."""
        request = {"argv": list(argv), "cwd": str(cwd), "stdin": stdin and str(stdin),
                   "stdout": stdout and str(stdout)}
        self.helper.stdin.write(json.dumps(request) + "\n")
        self.helper.stdin.flush()
        reply = json.loads(self.helper.stdout.readline())
        if reply["exit_code"] not in expect:
            wanted = " or ".join(map(str, expect))
            raise CommandFailed(f"`{shlex.join(argv)}` exited {reply['exit_code']}, "
                                f"expected {wanted}; its stderr ends:\n{reply['stderr']}")
        return Run(reply["seconds"], reply["peak_rss_kib"], reply["exit_code"])

    def close(self) -> None:
        self.helper.stdin.close()
        self.helper.wait()


def measure(launcher: Launcher, measurement: Measurement, runs: int,
            argv: Sequence[str], *, before: Callable[[], None] | None = None, **options) -> Measurement:
    """Run ``argv`` ``runs`` times (``before`` each, untimed) into ``measurement``."""
    for _ in range(runs):
        if before:
            before()
        measurement.add(launcher.run(argv, **options))
    return measurement


def time_calls(measurement: Measurement, call: Callable[[], object], *,
               budget: float = 2.0, least: int = 5, most: int = 200) -> Measurement:
    """Call ``call``, after one warm-up, until ``budget`` seconds pass (``least`` to
    ``most`` calls)."""
    call()
    spent = 0.0
    while len(measurement.seconds) < least or (spent < budget
                                               and len(measurement.seconds) < most):
        started = time.perf_counter()
        call()
        seconds = time.perf_counter() - started
        measurement.seconds.append(seconds)
        spent += seconds
    return measurement
