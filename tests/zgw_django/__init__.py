"""A test-only Django configuration of a Common Ground component that talks to the router's
Notificaties API 1.0 the way such components really do: zgw-consumers' ``Service`` (auth type
ZGW) as the ``NotificationsConfig`` service of notifications-api-common, whose own code creates
abonnementen (``Subscription.register``, or its client's ``post("abonnement")``) and publishes
notificaties (the ``send_notification`` task).

It runs in a process of its own (``python -m tests.zgw_django``, see ``__main__``): Django is
configured once per process, and ``tests/unit/test_auth_zgw_consumers.py`` configures it
differently (no database) in the test process. The database is SQLite in the test's tmp
directory; notifications-api-common's models use ``django.contrib.postgres`` fields, whose
module needs a PostgreSQL driver at import, so ``configure`` puts SQLite-compatible stand-ins
(JSON columns) in its place first.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

__all__ = ["configure"]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "privates",
    "simple_certmanager",
    "solo",
    "zgw_consumers",
    "notifications_api_common",
]


def _postgres_fields_for_sqlite() -> None:
    """``django.contrib.postgres.fields`` without psycopg: ArrayField and HStoreField as JSON
    columns (a list and a dict round-trip unchanged), ``fields.jsonb.JSONField`` as JSONField."""
    import django.contrib.postgres as postgres
    from django.db import models

    class ArrayField(models.JSONField):  # type: ignore[type-arg]
        def __init__(self, base_field: object = None, size: int | None = None, **kwargs: object):
            self.base_field = base_field
            self.size = size
            super().__init__(**kwargs)  # type: ignore[arg-type]

    class HStoreField(models.JSONField):  # type: ignore[type-arg]
        pass

    fields = types.ModuleType("django.contrib.postgres.fields")
    fields.__path__ = []  # a package, for ``import django.contrib.postgres.fields.jsonb``
    jsonb = types.ModuleType("django.contrib.postgres.fields.jsonb")
    jsonb.JSONField = models.JSONField  # type: ignore[attr-defined]
    fields.ArrayField = ArrayField  # type: ignore[attr-defined]
    fields.HStoreField = HStoreField  # type: ignore[attr-defined]
    fields.JSONField = models.JSONField  # type: ignore[attr-defined]
    fields.jsonb = jsonb  # type: ignore[attr-defined]
    sys.modules["django.contrib.postgres.fields"] = fields
    sys.modules["django.contrib.postgres.fields.jsonb"] = jsonb
    postgres.fields = fields  # type: ignore[attr-defined]


def configure(directory: Path) -> None:
    """Configure Django with an SQLite database in ``directory`` and migrate it."""
    import django
    from django.conf import settings
    from django.core.management import call_command

    _postgres_fields_for_sqlite()
    directory.mkdir(parents=True, exist_ok=True)
    settings.configure(
        SECRET_KEY="zgw-django-test-only-" + "x" * 40,
        USE_TZ=True,
        TIME_ZONE="UTC",
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(directory / "consument.sqlite3"),
            }
        },
        INSTALLED_APPS=INSTALLED_APPS,
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        PRIVATE_MEDIA_ROOT=str(directory / "private"),
        PRIVATE_MEDIA_URL="/private/",
        SENDFILE_BACKEND="django_sendfile.backends.simple",
        SENDFILE_ROOT=str(directory / "private"),
        SITE_DOMAIN="consument.example",
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
    )
    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
