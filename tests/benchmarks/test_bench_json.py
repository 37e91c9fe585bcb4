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


def test_compare_reads_two_reports(tmp_path: Path) -> None:
    """benchmarks.compare lines up two --json runs case by case and shows how each ratio moved."""
    runs = []
    for name in ("old", "new"):
        out = tmp_path / f"{name}.json"
        done = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--case", "codec", "--json", str(out)],
                              cwd=REPO, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        runs.append({row["case"]: row["ratio"] for row in json.loads(out.read_text(encoding="utf-8"))["rows"]})
    done = subprocess.run([sys.executable, "-m", "benchmarks.compare", str(tmp_path / "old.json"),
                           str(tmp_path / "new.json")], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    line = next(line for line in done.stdout.splitlines() if line.startswith("codec mkpeer"))
    old, new = runs[0]["codec mkpeer"], runs[1]["codec mkpeer"]
    assert line.split()[-3:] == [f"{old:.3f}", f"{new:.3f}", f"{new / old:.2f}x"]
    missing = subprocess.run([sys.executable, "-m", "benchmarks.compare", str(tmp_path / "old.json")],
                             cwd=REPO, capture_output=True, text=True, timeout=60)
    assert missing.returncode == 64
