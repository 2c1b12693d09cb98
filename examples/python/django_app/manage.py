#!/usr/bin/env python
"""The Django example: a shop with a cart, login and a "your devices" page,
its sessions in coatcheck (``SESSION_ENGINE = "coatcheck.django"``).

    .venv/bin/python examples/python/django_app/manage.py runserver

``runserver`` here first migrates the SQLite database (for users) and makes
a demo user ``ada`` / ``lovelace``. Sessions live in ``sessions.redb`` in
this folder; ``manage.py clearsessions`` sweeps expired ones.
"""

import os
import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
    import django
    from django.core.management import call_command, execute_from_command_line

    if sys.argv[1:2] == ["runserver"]:
        django.setup()
        call_command("migrate", verbosity=0)
        from django.contrib.auth.models import User

        if not User.objects.filter(username="ada").exists():
            User.objects.create_user("ada", password="lovelace")
    execute_from_command_line(sys.argv)
