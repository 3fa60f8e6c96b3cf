"""The benchmark harness (bench/run.py) runs end to end and its peers agree.

A smoke test at a tiny size: it asserts no timing, only that every command ran,
that the naive loop's and DuckDB's scores equal scorekeeper's export, that the
hooks left no drift, and that the report was written.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

RUN = Path(__file__).resolve().parent.parent / "bench" / "run.py"


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("duckdb") is None,
                    reason="duckdb is not installed: pip install -e '.[bench]'")
def test_harness_runs_and_peers_agree(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS-XS.md"
    done = subprocess.run(
        [sys.executable, str(RUN), "--size", "XS", "--repeat", "1", "--events", "1000",
         "--hook-calls", "2", "--work", str(tmp_path / "work"), "--out", str(out)],
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]

    results = json.loads((tmp_path / "work" / "XS" / "results.json").read_text())
    checksums = results["checksums"]
    assert set(checksums) == {"scorekeeper export", "naive loop", "DuckDB"}
    assert len(set(checksums.values())) == 1, checksums
    assert results["ok"]
    assert any("recalc --check` finds no drift" in line for line in results["checks"])

    text = out.read_text()
    assert text.startswith("# scorekeeper benchmark, size XS")
    for figure in ("import --no-recalc", "recalc --check after drift", "hook - with 1,000",
                   "leaderboard --limit 50", "DuckDB: every score"):
        assert figure in text
    assert not (tmp_path / "work" / "XS" / "run").exists(), "scratch databases left behind"
