"""The compatibility matrix: every supported Python x Django, with the oldest and the newest
supported djangorestframework, django-redis and redis-py.

    nox                       # every combination (PostgreSQL and Redis as for ./run-tests.sh)
    nox -l                    # the list
    nox -s "tests(py3.10-django4.2-oldest)" -- tests/test_store.py   # one, some tests

The four Pythons must be on PATH (with pyenv: PYENV_VERSION=3.11.7:3.10.13:3.12.1:3.13.0).

The classifiers in pyproject.toml and README's "Supported versions" list exactly this table.
"""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "uv|venv"  # uv installs in seconds where it is there
nox.options.sessions = ["tests"]

# Django -> the Pythons it supports.
PYTHONS = {
    "4.2": ["3.10", "3.11", "3.12"],
    "5.2": ["3.10", "3.11", "3.12", "3.13"],
    "6.0": ["3.12", "3.13"],
    "6.1": ["3.12", "3.13"],
}
# Django -> the oldest releases of the other dependencies that work with it (the lower bounds
# in pyproject.toml are the loosest of these); "newest" lets pip take the latest.
OLDEST = {
    "4.2": ["djangorestframework==3.15.1", "django-redis==5.4.0", "redis==5.0.1"],
    "5.2": ["djangorestframework==3.15.2", "django-redis==5.4.0", "redis==5.0.1"],
    "6.0": ["djangorestframework==3.16.1", "django-redis==5.4.0", "redis==5.0.1"],
    # DRF 3.17 and older import django.utils.cache.cc_delim_re, which Django 6.1 removed.
    "6.1": ["djangorestframework==3.18.0", "django-redis==5.4.0", "redis==5.0.1"],
}
MATRIX = [
    (python, django, deps)
    for django, pythons in PYTHONS.items()
    for python in pythons
    for deps in ("oldest", "newest")
]


@nox.session
@nox.parametrize(
    ("python", "django", "deps"), MATRIX,
    ids=[f"py{python}-django{django}-{deps}" for python, django, deps in MATRIX],
)
def tests(session: nox.Session, django: str, deps: str) -> None:
    pins = OLDEST[django] if deps == "oldest" else [
        "djangorestframework", "django-redis", "redis"]
    session.install("-e", ".[test]", f"Django=={django}.*", *pins)
    session.run("python", "-m", "pytest", "-p", "no:cacheprovider", *session.posargs)
