"""The Django project of ``benches/python/django_http.py``: one session
engine per run, chosen by ``$BENCH_SESSIONS`` (coatcheck, db, cache, none),
its files in ``$BENCH_DIR``."""

import os
from pathlib import Path

BENCH_DIR = Path(os.environ["BENCH_DIR"])
SESSIONS = os.environ["BENCH_SESSIONS"]

SECRET_KEY = "bench-" + "x" * 40
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
ROOT_URLCONF = "django_site.urls"
USE_TZ = True
INSTALLED_APPS = ["django.contrib.sessions"]
MIDDLEWARE = [] if SESSIONS == "none" else ["django.contrib.sessions.middleware.SessionMiddleware"]
SESSION_ENGINE = {
    "coatcheck": "coatcheck.django",
    "db": "django.contrib.sessions.backends.db",
    "cache": "django.contrib.sessions.backends.cache",
    "none": "django.contrib.sessions.backends.signed_cookies",
}[SESSIONS]
# coatcheck: shared mode (the adapter's default), every commit durable.
COATCHECK_PATH = str(BENCH_DIR / "sessions.redb")
COATCHECK_OPTIONS = {"sweep_interval": None}
# db: SQLite in WAL mode, each commit durable as coatcheck's are.
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(BENCH_DIR / "db.sqlite3"),
        "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"},
    }
}
# cache: LocMem, one per worker process (not shared, not durable).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
