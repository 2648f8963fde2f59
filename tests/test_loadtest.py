"""A short run of the load tool (README "Load testing"): no request may fail, Redis outage included.

It needs PostgreSQL on 127.0.0.1:5432 and ``redis-server``; without them the tool, and so this
test, fails. Timings are the tool's report, never asserted here.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_load_run_with_a_redis_outage_has_no_errors(tmp_path: Path) -> None:
    results = tmp_path / "results.md"
    run = subprocess.run(
        [sys.executable, "-m", "loadtest.run", "--requests", "300", "--concurrency", "8",
         "--redis-outage", "--max-seconds", "60", "--output", str(results)],
        cwd=ROOT, capture_output=True, text=True, timeout=150, check=False,
    )
    output = f"{run.stdout}\n{run.stderr}"
    assert run.returncode == 0, output
    assert re.search(r"^TOTAL: 600 requests, 0 errors$", run.stdout, flags=re.M), output
    report = results.read_text()
    assert "## Normal run" in report and "## Redis outage run" in report
    assert "Redis killed before request 101" in report
    assert "Redis restarted (empty) before request 201" in report
