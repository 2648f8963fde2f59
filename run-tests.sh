#!/usr/bin/env bash
# Installs what the test suite needs and runs it (README's test command; CI runs it too).
# Needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 (see README). Installs what
# else is missing from Debian: chromium for the admin's browser test (Playwright downloads no
# browser of its own), gettext for the translation checks, and libmariadb-dev and pkg-config to
# build mysqlclient (the suite also runs on MySQL and MariaDB: TEST_DATABASE_URL=mysql://...).
set -euo pipefail
cd "$(dirname "$0")"
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v msgfmt >/dev/null && command -v xgettext >/dev/null || missing+=(gettext)
command -v mariadb_config >/dev/null || missing+=(libmariadb-dev)
command -v pkg-config >/dev/null || missing+=(pkg-config)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -q && apt-get install -y -q "${missing[@]}"
fi
python3 -m pip install -q -e ".[test]"
python3 -m pytest "$@"
