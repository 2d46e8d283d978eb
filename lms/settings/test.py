"""Test settings: the base settings with fast hashing and captured e-mail."""

import os

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
WAGTAILADMIN_BASE_URL = "http://testserver"

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory: browser tests run two servers in threads, and each
    # thread then gets its own connection (WAL lets them take turns writing)
    # instead of sharing one in-memory connection that cannot be used at once.
    # One file per test run, so runs side by side do not share it.
    DATABASES["default"]["TEST"] = {
        "NAME": str(BASE_DIR / f".test-db-{os.getpid()}.sqlite3")
    }
