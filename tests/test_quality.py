"""Project-wide gates: migrations, deploy checks, the demo world, the layer contract."""

import os
import secrets
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from cms.models import CentrePage, HomePage
from lms.models import Membership, Organisation, User

ROOT = Path(__file__).resolve().parent.parent


def test_no_missing_migrations(db):
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out)
    except SystemExit as exc:  # makemigrations --check exits 1 when changes exist
        pytest.fail(f"Missing migrations:\n{out.getvalue()}\n{exc}")


def test_check_deploy_is_clean_with_production_settings():
    # Browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for themselves; production never does.
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "lms.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "lms.kemensos.go.id",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_layer_contract_holds():
    """import-linter: cms -> courses -> assessments -> lms (see pyproject.toml)."""
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_demo_world_loads_and_a_second_run_changes_nothing(db):
    counts = (
        User.objects.count(),
        Membership.objects.count(),
        CentrePage.objects.count(),
    )
    # The session loaded the accounts-only world; loading it again changes
    # nothing (the full world's second run: tests/cms/test_demo_world.py).
    call_command("load_demo", "--force", "--accounts-only", stdout=StringIO())
    assert (
        User.objects.count(),
        Membership.objects.count(),
        CentrePage.objects.count(),
    ) == counts
    assert HomePage.objects.count() == 1
    # Every centre has its page, collection and role groups.
    for centre in Organisation.objects.centres():
        assert CentrePage.objects.filter(organisation=centre).exists()
        assert centre.collection is not None
        assert centre.role_groups.filter(role="trainer").exists()
    # Every account is on the reserved demo domain and verified.
    assert not User.objects.exclude(email__endswith="@lms.example").exists()
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == {
        "trainee",
        "trainer",
        "centre_admin",
        "grader",
        "assessor",
        "certification_admin",
        "committee",
        "central_admin",
    }


def test_load_demo_refuses_without_debug(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("load_demo", stdout=StringIO())
