"""A minimal Django project on coatcheck.django, for the real-server tests
(``gunicorn -w 4 django_project.wsgi``, ``python -m django clearsessions``)."""

import os

SECRET_KEY = "coatcheck-server-tests-" + "x" * 40
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
INSTALLED_APPS = ["django.contrib.sessions"]
MIDDLEWARE = ["coatcheck.django.SessionMiddleware"]
ROOT_URLCONF = "django_project.urls"
DATABASES: dict[str, dict[str, str]] = {}
SESSION_ENGINE = "coatcheck.django"
COATCHECK_PATH = os.environ["COATCHECK_TEST_STORE"]
USE_TZ = True
