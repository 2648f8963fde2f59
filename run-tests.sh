#!/usr/bin/env bash
# Installs what the test suite needs and runs it (README's test command; CI runs it too).
# Needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 (see README).
set -euo pipefail
cd "$(dirname "$0")"
python3 -m pip install -q -e ".[test]"
python3 -m pytest "$@"
