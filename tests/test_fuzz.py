"""Property-based fuzzing of every endpoint with schemathesis, generated from the OpenAPI schema.

Anonymous and authenticated, every generated request must get an answer the schema documents:
no 5xx, a documented status and content type, a body of the documented shape, and a 4xx for
requests the schema forbids. (Not the reverse: a well-formed code WeChat refuses, or data that
does not decrypt, is a rightful 400.) Bounded: a few dozen examples per operation, so CI stays
fast; raise ``FUZZ_EXAMPLES`` for a longer local run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests
import schemathesis
import yaml
from django.core.management import call_command
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from .conftest import fresh_code

pytestmark = pytest.mark.django_db(transaction=True)
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))


@pytest.fixture(scope="module")
def openapi_document(tmp_path_factory) -> dict:
    target = Path(tmp_path_factory.mktemp("schema")) / "schema.yml"
    call_command("spectacular", "--urlconf", "tests.schema_urls", "--file", str(target))
    return yaml.safe_load(target.read_text())


@pytest.fixture
def api_schema(openapi_document):
    return schemathesis.openapi.from_dict(openapi_document)


schema = schemathesis.pytest.from_fixture("api_schema")


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
