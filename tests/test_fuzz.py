"""Property-based fuzzing of every endpoint with schemathesis, generated from the OpenAPI schema.

Anonymous and authenticated, every generated request must get an answer the schema documents:
no 5xx, a documented status and content type, a body of the documented shape, and a 4xx for
requests the schema forbids. (Not the reverse: a well-formed code WeChat refuses, or data that
does not decrypt, is a rightful 400.) Bounded: a few dozen examples per operation, so CI stays
fast; raise ``FUZZ_EXAMPLES`` for a longer local run.
"""

from __future__ import annotations

import os

import pytest
import requests
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from .conftest import fresh_code

pytestmark = pytest.mark.django_db(transaction=True)
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))


# Built at collection (pytest-django has set Django up by then): schemathesis's lazy
# ``from_fixture`` loader relies on a pytest internal that pytest 9.1 removed.
schema = schemathesis.openapi.from_dict(
    SchemaGenerator(urlconf="tests.schema_urls").get_schema(request=None, public=True)
)


@pytest.fixture
def server(live_server, settings) -> str:
    settings.WXLOGIN = {**settings.WXLOGIN, "LOGIN_RATE": None, "PHONE_RATE": None}
    return live_server.url


EXCLUDED = [positive_data_acceptance]
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                suppress_health_check=list(HealthCheck))


@schema.parametrize()
@FUZZ
def test_anonymous_requests(case, server):
    case.call_and_validate(base_url=server, timeout=10, excluded_checks=EXCLUDED)


@schema.parametrize()
@FUZZ
def test_authenticated_requests(case, server):
    login = requests.post(f"{server}/wx/login/", json={"code": fresh_code("fuzz")}, timeout=10)
    token = login.json()["token"]
    case.call_and_validate(base_url=server, headers={"Authorization": f"Bearer {token}"},
                           timeout=10, excluded_checks=EXCLUDED)
