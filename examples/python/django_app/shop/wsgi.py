"""The WSGI entry point, for a server with several worker processes:

    cd examples/python/django_app
    ../../../.venv/bin/python manage.py migrate      # users (SQLite), once
    ../../../.venv/bin/gunicorn -w 4 shop.wsgi

Each worker opens the session file itself, on its first request, in shared
mode (the adapter's default), so the four workers serve the same sessions.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")

application = get_wsgi_application()
