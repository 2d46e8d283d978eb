"""Bahasa Indonesia first: the `id` catalogue is complete and the site switches."""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "locale" / "id" / "LC_MESSAGES" / "django.po"


def test_every_message_is_translated_and_compiled():
    po = polib.pofile(str(CATALOGUE))
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert untranslated == [] and fuzzy == []
    compiled = polib.mofile(str(CATALOGUE.with_suffix(".mo")))
    assert {e.msgid: e.msgstr for e in compiled} == {
        e.msgid: e.msgstr for e in po.translated_entries()
    }, "django.mo is stale: run `make messages`"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext is not installed")
def test_catalogue_holds_every_string_in_the_code(tmp_path):
    """Run makemessages into a scratch copy and compare the message ids."""
    scratch = tmp_path / "project"
    shutil.copytree(
        ROOT,
        scratch,
        ignore=shutil.ignore_patterns(
            ".venv",
            "node_modules",
            ".git",
            "*.sqlite3",
            "media",
            "static_collected",
            "__pycache__",
            ".hypothesis",
        ),
    )
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "id",
            "--no-obsolete",
            "--ignore=tests",
            "-v",
            "0",
        ],
        cwd=scratch,
        check=True,
        capture_output=True,
    )
    fresh = {e.msgid for e in polib.pofile(str(scratch / CATALOGUE.relative_to(ROOT)))}
    ours = {e.msgid for e in polib.pofile(str(CATALOGUE))}
    assert fresh - ours == set(), "strings missing from the id catalogue"


def test_site_is_indonesian_by_default_and_english_after_switching(client, db):
    home = client.get("/")
    assert home.status_code == 200
    assert '<html lang="id">' in home.content.decode()
    assert "Balai besar pendidikan dan pelatihan regional" in home.content.decode()
    switched = client.post(
        "/i18n/setlang/", {"language": "en", "next": "/"}, follow=True
    )
    body = switched.content.decode()
    assert '<html lang="en">' in body
    assert "Regional training centres" in body


def test_times_show_in_the_persons_zone(client, user_by_email):
    client.force_login(user_by_email("peserta1.r5@lms.example"))  # Makassar
    assert " WITA</p>" in client.get("/").content.decode()
    client.force_login(user_by_email("peserta1.r6@lms.example"))  # Jayapura
    assert " WIT</p>" in client.get("/").content.decode()
    client.logout()
    assert " WIB</p>" in client.get("/").content.decode()


def test_an_english_browser_still_gets_indonesian_until_it_switches(client, db):
    home = client.get("/", headers={"accept-language": "en-US,en;q=0.9"})
    assert '<html lang="id">' in home.content.decode()
    client.cookies["django_language"] = "en"
    assert '<html lang="en">' in client.get("/").content.decode()
