"""``python -m benchmarks --json``: every row written as data, so runs can be compared."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_json_report_has_every_row_with_its_ratio(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--case", "codec", "--json", str(out)],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["quick"] is True and report["machine"].startswith("machine: nproc")
    rows = {row["case"]: row for row in report["rows"]}
    assert set(rows) == {"codec mkpeer", "codec sockaddr"}
    for row in rows.values():
        assert row["ratio"] == row["ours"] / row["baseline"]
        assert row["goal"] == 0.5 and row["met"] == (row["ratio"] >= 0.5)
    printed = [line for line in done.stdout.splitlines() if line.startswith("RATIO codec mkpeer")]
    assert printed and f"{rows['codec mkpeer']['ratio']:.2f}x" in printed[0]
