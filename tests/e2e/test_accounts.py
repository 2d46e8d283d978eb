"""A person signs up, verifies their e-mail, signs in, switches language, signs out."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_sign_up_verify_sign_in_switch_language_sign_out(
    live_server, demo_world, phone_page
):
    page = phone_page
    page.goto(f"{live_server.url}/")
    assert page.locator("html").get_attribute("lang") == "id"
    page.get_by_role("link", name="Daftar").click()

    page.fill("input[name=email]", "wulan@lms.example")
    page.fill("input[name=full_name]", "Wulan Sari")
    page.fill("input[name=nik]", "3401015508900077")
    page.select_option("select[name=time_zone]", "Asia/Jakarta")
    page.fill("input[name=password1]", "Belajar-Terus-2026")
    page.fill("input[name=password2]", "Belajar-Terus-2026")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/accounts/confirm-email/"))

    # The verification e-mail (locmem backend) carries the link.
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    path = re.sub(r"^https?://[^/]+", "", link.group(0))
    page.goto(f"{live_server.url}{path}")
    page.locator("form button[type=submit]").last.click()

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", "wulan@lms.example")
    page.fill("input[name=password]", "Belajar-Terus-2026")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(f"{live_server.url}/saya/")
    assert page.locator(".who").inner_text() == "Wulan Sari"

    page.select_option("#lang-select", "en")
    page.get_by_test_id("switch-language").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    # The home after sign-in, now in English.
    assert page.get_by_role("heading", name="Welcome, Wulan Sari").is_visible()
    assert page.get_by_role("link", name="Find a course in the catalogue").is_visible()

    page.get_by_test_id("sign-out").click()
    page.wait_for_load_state()
    assert page.get_by_role("link", name="Sign in").is_visible()
    assert page.locator(".who").count() == 0

    address = EmailAddress.objects.get(email="wulan@lms.example")
    assert address.verified
    assert address.user.profile.nik() == "3401015508900077"
