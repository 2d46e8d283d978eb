"""A trainee sits a timed quiz, a grader marks the essay with a rubric, the trainee
sees the released result and feedback — in the browser, end to end."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from assessments.grading.models import Submission
from assessments.grading.services import submissions_allocate
from assessments.models import Attempt, ReleaseRule
from cms.demo import DEMO_PASSWORD
from lms.models import Organisation, User
from tests.assessments.builders import quiz_make
from tests.assessments.test_grading import _rubric
from tests.factories import totp_enrol

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
TRAINEE = "peserta3.r3@lms.example"
GRADER = "penilai.unhas@lms.example"
CENTRE_ADMIN = "penyelenggara.r3@lms.example"
FEEDBACK = "Langkah pendampingan sudah runtut; tambahkan rujukan layanan."


def staff_context(browser, live_server, email):
    """A browser signed in as a staff member whose TOTP is enrolled.

    The password-and-code sign-in is covered by tests/e2e/test_accounts.py; here
    the session is made on the server and handed to the browser.
    """
    user = User.objects.get(email=email)
    totp_enrol(user)
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def test_timed_quiz_marked_with_a_rubric_and_released(browser, live_server, demo_world):
    centre = Organisation.objects.get(code="R3")
    quiz = quiz_make(
        centre=centre,
        questions=2,
        essays=1,
        title="Uji Pendampingan Keluarga",
        time_limit_minutes=15,
        feedback_release=ReleaseRule.MANUAL,
    )
    _rubric(centre, quiz)

    # The trainee, on a phone, sits the timed quiz.
    phone = browser.new_context(viewport={"width": 390, "height": 844})
    page = phone.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", TRAINEE)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(f"{live_server.url}/saya/")
    page.goto(f"{live_server.url}/asesmen/")
    page.get_by_role("link", name="Uji Pendampingan Keluarga").click()
    page.get_by_test_id("start").click()
    assert page.get_by_test_id("timer").is_visible()
    page.locator("[data-testid=slot-1] input[value=true]").check()
    page.locator("[data-testid=slot-2] input[value=false]").check()
    page.locator("[data-testid=slot-3] textarea").fill(
        "Saya mengunjungi keluarga, menilai kebutuhan, lalu merujuk ke layanan."
    )
    page.get_by_test_id("submit").click()
    page.get_by_test_id("result-pending").wait_for()

    # The centre sends the essay to a university; its grader marks it blind.
    attempt = Attempt.objects.get(assessment=quiz)
    submission = Submission.objects.get(attempt=attempt)
    university = (
        User.objects.get(email=GRADER).memberships.get(role="grader").organisation
    )
    submissions_allocate(submissions=[submission], university=university)
    grader_context, grader = staff_context(browser, live_server, GRADER)
    grader.goto(f"{live_server.url}/staf/penilaian/")
    grader.get_by_role("link", name=submission.candidate_code).click()
    trainee = User.objects.get(email=TRAINEE)
    assert trainee.full_name not in grader.content()
    assert TRAINEE not in grader.content()
    grader.get_by_role("button", name="Ambil untuk dinilai").click()
    for row in grader.locator("table tr:has(input[type=radio])").all():
        row.locator("input[type=radio]").last.check()  # the highest level
    grader.locator("textarea[name=feedback]").fill(FEEDBACK)
    grader.get_by_role("button", name="Selesaikan penilaian").click()
    grader.wait_for_load_state()
    grader_context.close()
    attempt.refresh_from_db()
    assert attempt.state == "graded"
    assert attempt.score == 11  # 1 of 2 true/false + 5 + 5 on the rubric

    # The trainee sees nothing until the centre releases the result.
    page.reload()
    assert page.get_by_test_id("result-pending").is_visible()
    admin_context, admin = staff_context(browser, live_server, CENTRE_ADMIN)
    admin.goto(f"{live_server.url}/staf/penilaian/pusat/R3/")
    admin.get_by_role(
        "button", name="Rilis setiap percobaan yang sudah dinilai lengkap"
    ).click()
    admin.wait_for_load_state()
    admin_context.close()

    page.reload()
    result = page.get_by_test_id("result").inner_text()
    assert "11 / 12" in result
    assert FEEDBACK in page.get_by_test_id("feedback").inner_text()
    phone.close()
