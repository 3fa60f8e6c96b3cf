"""Timing commands the way a user runs them: whole processes, wall time and peak RSS.

Peak RSS comes from ``os.wait4`` on the child, whose ``ru_maxrss`` is KiB on
Linux: the child's own high-water mark, not the harness's.
"""

from __future__ import annotations

import os
import shlex
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path


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


def run_process(argv: Sequence[str], *, cwd: Path, stdin: Path | None = None,
                stdout: Path | None = None,
                expect: tuple[int, ...] = (0,)) -> Run:
    """Run one process to its end; raises CommandFailed on an unexpected exit code."""
    with ExitStack() as files:
        source = files.enter_context(open(stdin, "rb")) if stdin else subprocess.DEVNULL
        sink = files.enter_context(open(stdout, "wb")) if stdout else subprocess.DEVNULL
        # stderr goes to a file: a pipe nobody reads could fill up and stall the child
        errors = files.enter_context(tempfile.TemporaryFile())
        started = time.perf_counter()
        child = subprocess.Popen(argv, cwd=cwd, stdin=source, stdout=sink, stderr=errors)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = code = os.waitstatus_to_exitcode(status)
        if code not in expect:
            errors.seek(0)
            tail = errors.read()[-3000:].decode("utf-8", "replace")
            raise CommandFailed(f"`{shlex.join(argv)}` exited {code}, expected "
                                f"{' or '.join(map(str, expect))}; its stderr ends:\n{tail}")
    return Run(seconds, usage.ru_maxrss, code)


def measure(measurement: Measurement, runs: int, argv: Sequence[str], *,
            before: Callable[[], None] | None = None, **options) -> Measurement:
    """Run ``argv`` ``runs`` times (``before`` each, untimed) into ``measurement``."""
    for _ in range(runs):
        if before:
            before()
        measurement.add(run_process(argv, **options))
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
