#!/usr/bin/env bash
# README's test command (CI runs it too): installs what the suite needs and runs it, about 10
# minutes on 2 cores. Needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 (see
# README). Also needs, from Debian: chromium for the admin's browser tests (Playwright downloads
# no browser of its own), gettext for the translation checks, nginx and systemd-analyze for the
# deployment examples' syntax checks; and, for a run on MySQL or MariaDB only
# (TEST_DATABASE_URL=mysql://...), libmariadb-dev and pkg-config to build mysqlclient (the
# `mysql` extra). Run as root, it installs the missing ones with apt-get; as anyone else, it
# names them and stops. Avatars go to TEST_MEDIA_ROOT: by default a temporary folder, removed.
set -euo pipefail
cd "$(dirname "$0")"
mysql=false
case "${TEST_DATABASE_URL:-}" in mysql://*) mysql=true ;; esac
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v msgfmt >/dev/null && command -v xgettext >/dev/null || missing+=(gettext)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v systemd-analyze >/dev/null || missing+=(systemd)
if $mysql; then
  command -v mariadb_config >/dev/null || command -v mysql_config >/dev/null \
    || missing+=(libmariadb-dev)
  command -v pkg-config >/dev/null || missing+=(pkg-config)
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -q && apt-get install -y -q "${missing[@]}"
  else
    echo "run-tests.sh: missing ${missing[*]}. Install them (Debian, Ubuntu:" \
         "sudo apt-get install ${missing[*]}), or run this as root, then run it again." >&2
    exit 1
  fi
fi
if [ -z "${TEST_MEDIA_ROOT:-}" ]; then
  TEST_MEDIA_ROOT=$(mktemp -d)
  export TEST_MEDIA_ROOT
  trap 'rm -rf "$TEST_MEDIA_ROOT"' EXIT
fi
if $mysql; then
  python3 -m pip install -q -e ".[test,mysql]"
  python3 -m pytest "$@"
else
  python3 -m pip install -q -e ".[test]"
  # The MariaDB deployment needs mysqlclient: it runs with TEST_DATABASE_URL=mysql://...
  echo "run-tests.sh: on PostgreSQL; tests/test_deploy_mariadb.py runs with TEST_DATABASE_URL=mysql://..."
  python3 -m pytest --ignore tests/test_deploy_mariadb.py "$@"
fi
