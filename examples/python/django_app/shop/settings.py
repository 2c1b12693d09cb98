"""Settings of the example shop: Django's defaults, sessions in coatcheck."""

from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "example-only-not-secret-" + "x" * 30
DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
]
MIDDLEWARE = [
    # coatcheck's SessionMiddleware is Django's, plus the device's IP and
    # User-Agent recorded on new sessions (for the "your devices" page).
    "coatcheck.django.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "shop.urls"
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": False,
              "OPTIONS": {"context_processors": ["django.template.context_processors.csrf"]}}]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}}
USE_TZ = True

# The one line that matters: sessions in coatcheck, in BASE_DIR / "sessions.redb".
SESSION_ENGINE = "coatcheck.django"
# The file is opened in shared mode, so that `manage.py runserver`,
# `gunicorn -w 4 shop.wsgi` and `manage.py clearsessions` can all use it.
# Optional: keywords for coatcheck.Store, e.g. for one process only (exclusive;
# a periodic durability such as {"durability": 0.1} needs it):
# COATCHECK_OPTIONS = {"shared": False}
