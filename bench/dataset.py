"""The benchmark's data sets: made by sample_data/generate.py, reused when unchanged.

A data set lives in ``<work>/<label>/`` with ``params.json``, which records the
options it was made with, a hash of the generator and the rows per file. The
same options and the same generator mean the same bytes, so a folder whose
record matches is used as it is.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = ROOT / "sample_data" / "generate.py"
KINDS = ("users", "posts", "reviews", "comments", "likes", "review_votes")

# label -> (users, activity rows)
SIZES = {
    "XS": (2_000, 20_000),
    "S": (10_000, 100_000),
    "M": (100_000, 1_000_000),
    "L": (1_000_000, 10_000_000),
}


@dataclass
class DataSet:
    label: str
    folder: Path
    users: int
    rows: int  # activity rows asked of the generator
    seed: int
    end_date: date
    counts: dict[str, int]  # data rows per file

    @property
    def files(self) -> list[Path]:
        """The six files, in the order that lets each row find what it points at."""
        return [self.folder / f"{kind}.csv" for kind in KINDS]

    @property
    def total_rows(self) -> int:
        return sum(self.counts.values())

    @property
    def megabytes(self) -> float:
        return sum(path.stat().st_size for path in self.files) / 1e6


def _generator_hash() -> str:
    return hashlib.sha256(GENERATOR.read_bytes()).hexdigest()[:16]


def _count_rows(path: Path) -> int:
    """Data rows of a generated CSV (its values hold no line breaks)."""
    lines = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            lines += chunk.count(b"\n")
    return lines - 1


def ensure_data(work: Path, label: str, users: int, rows: int, seed: int,
                end_date: date, say) -> DataSet:
    """The data set for these options, generated unless the folder already holds it."""
    folder = work / label
    params = {"users": users, "rows": rows, "seed": seed,
              "end_date": end_date.isoformat(), "generator": _generator_hash()}
    record = folder / "params.json"
    if record.exists():
        stored = json.loads(record.read_text())
        if stored.get("params") == params and all(
                (folder / f"{kind}.csv").exists() for kind in KINDS):
            return DataSet(label, folder, users, rows, seed, end_date, stored["counts"])
    say(f"generating {label}: {users:,} users, about {rows:,} activity rows into {folder}")
    folder.mkdir(parents=True, exist_ok=True)
    record.unlink(missing_ok=True)
    subprocess.run([sys.executable, str(GENERATOR), "--out", str(folder), "--quiet",
                    "--users", str(users), "--rows", str(rows), "--seed", str(seed),
                    "--end-date", end_date.isoformat()], check=True)
    counts = {kind: _count_rows(folder / f"{kind}.csv") for kind in KINDS}
    record.write_text(json.dumps({"params": params, "counts": counts}, indent=2) + "\n")
    return DataSet(label, folder, users, rows, seed, end_date, counts)
