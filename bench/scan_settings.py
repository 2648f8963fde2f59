"""The benchmark's settings for scan login (bench/scan.py): its own Redis server, so that the
commands counted are the benchmark's alone; no limit on tickets from one address."""

import os

from bench.settings import *  # noqa: F403
from bench.settings import CACHES, WXLOGIN

CACHES["default"]["LOCATION"] = os.environ.get("SCAN_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
WXLOGIN.update({"SCAN_RATE": None, "SCAN_CODE_WIDTH": 280, "SCAN_TTL": 1800})
