#!/usr/bin/env bash
# Installs what the test suite needs and runs it (README's test command; CI runs it too).
# Needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 (see README), and Debian's
# chromium for the admin's browser test (installed here when missing; Playwright downloads
# no browser of its own).
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x /usr/bin/chromium ]; then
  apt-get update -q && apt-get install -y -q chromium
fi
python3 -m pip install -q -e ".[test]"
python3 -m pytest "$@"
