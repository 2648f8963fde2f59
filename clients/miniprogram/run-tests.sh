#!/usr/bin/env bash
# The mini-program client's checks, as CI runs them: install from the lockfile, type-check,
# build, then test the build against the example project under gunicorn on PostgreSQL and
# Redis (started, migrated and stopped by the test run; see test/run.mjs).
#
#   PYTHON                            the interpreter serving the example project (python3: the
#                                     virtualenv's when one is active)
#   WXLOGIN_CLIENT_TEST_DATABASE_URL  postgres://postgres@127.0.0.1:5432/wt_client (created if
#                                     missing, dropped at the end)
#   WXLOGIN_CLIENT_TEST_REDIS_URL     redis://127.0.0.1:6379/2 (never flushed)
#   WXLOGIN_CLIENT_TEST_MEDIA_ROOT    uploaded avatars (default: a temporary folder, removed)
#
# Arguments go to the test run: ./run-tests.sh test/login.test.mjs --test-name-pattern=logout
set -euo pipefail
cd "$(dirname "$0")"
export PYTHON="${PYTHON:-python3}"
if [ -z "${WXLOGIN_CLIENT_TEST_MEDIA_ROOT:-}" ]; then
  WXLOGIN_CLIENT_TEST_MEDIA_ROOT=$(mktemp -d)
  export WXLOGIN_CLIENT_TEST_MEDIA_ROOT
  trap 'rm -rf "$WXLOGIN_CLIENT_TEST_MEDIA_ROOT"' EXIT
fi
echo "Serving the example project with $(command -v "$PYTHON")"

# What the example project imports, and the QR decoder the scan-login tests read its codes
# with; the repository's test extra includes all of it.
if ! "$PYTHON" -c 'import django, rest_framework, django_redis, requests, cryptography, PIL, tqdm
import drf_spectacular, drf_spectacular_sidecar, dj_database_url, psycopg, gunicorn, defusedxml, segno
import zxingcpp' 2>/dev/null
then
  "$PYTHON" -m pip install -q -e "../..[example]" "zxing-cpp>=2.2"
fi

npm ci --no-audit --no-fund
npm run typecheck
npm run build
node test/run.mjs "$@"
