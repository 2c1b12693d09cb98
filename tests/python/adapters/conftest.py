"""Shared set-up of the adapter tests (Django, Flask, Starlette/FastAPI).

These tests need the frameworks of ``requirements.txt``; ``make
test-adapters`` installs them and runs ``pytest tests/python/adapters``.
They are collected only when the command line names this directory (or a
file in it), so the Python face's own run (``pytest tests/python``) leaves
them to that target.

Django is configured here, once per process (``settings.configure``):
sessions in an in-memory coatcheck store on ``CLOCK``, a ``ManualClock``,
so that expiry tests move time by hand and never sleep.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Iterator

import pytest

import coatcheck

HERE = Path(__file__).resolve().parent

#: The clock of every store the adapter tests open.
CLOCK = coatcheck.ManualClock()


def _named(config: pytest.Config) -> bool:
    for arg in config.args:
        target = Path(config.invocation_params.dir, arg.split("::")[0]).resolve()
        if target == HERE or HERE in target.parents:
            return True
    return False


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if collection_path.resolve() != HERE / "conftest.py" and not _named(config):
        return True
    return None


def _configure_django() -> None:
    import django
    from django.conf import settings

    if settings.configured:
        return
    db = Path(tempfile.mkdtemp(prefix="coatcheck-django-")) / "db.sqlite3"
    settings.configure(
        DEBUG=False,
        SECRET_KEY="coatcheck-tests-" + "x" * 40,
        ALLOWED_HOSTS=["testserver"],
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "django.contrib.sessions",
        ],
        MIDDLEWARE=[
            "coatcheck.django.SessionMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
        ],
        ROOT_URLCONF=f"{__package__}.django_urls",
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(db)}},
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        SESSION_ENGINE="coatcheck.django",
        COATCHECK_PATH=None,
        COATCHECK_OPTIONS={"clock": CLOCK, "sweep_interval": None},
        USE_TZ=True,
    )
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


@pytest.fixture(scope="session")
def django_ready() -> None:
    _configure_django()


@pytest.fixture
def clock() -> coatcheck.ManualClock:
    return CLOCK


@pytest.fixture
def django_store(django_ready: None) -> Iterator[coatcheck.Store]:
    """The store ``coatcheck.django`` uses, fresh (in memory) for each test."""
    import coatcheck.django

    coatcheck.django.close_store()
    yield coatcheck.django.get_store()
    coatcheck.django.close_store()


def open_in_another_process(path: Path) -> str:
    """Opens ``path`` with ``coatcheck.Store(path, shared=True)`` in a new
    Python process (never a fork of this one) while this one keeps its
    store: ``"ok"``, or the error's kind (``"locked"``…)."""
    import subprocess
    import sys

    child = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, coatcheck\n"
            "try:\n"
            "    coatcheck.Store(sys.argv[1], shared=True, sweep_interval=None).close()\n"
            "except coatcheck.CoatcheckError as e:\n"
            "    print(e.kind)\n"
            "else:\n"
            "    print('ok')\n",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == 0, child.stderr
    return child.stdout.strip()
