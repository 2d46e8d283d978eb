"""A trainee on a phone enrols, completes a module, and resumes in a new session."""

import pytest

from cms.demo import DEMO_PASSWORD
from courses.models import CourseCompletion
from tests.courses.helpers import course_publish

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
TRAINEE = "peserta2.r3@lms.example"


def phone(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def sign_in(page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", TRAINEE)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(f"{live_server.url}/saya/")


def test_complete_a_module_then_resume_on_a_new_session(
    browser, live_server, demo_world
):
    course_page = course_publish(centre_code="R3", code="PKH-HP", modules=2, total_jp=4)
    context, page = phone(browser)
    sign_in(page, live_server)
    page.goto(f"{live_server.url}{course_page.url}")
    page.get_by_test_id("enrol").click()
    page.get_by_test_id("continue").click()
    # Reading the module completes it (rule "viewed"); then the phone is put away.
    assert "Modul 1" in page.locator("h1").inner_text()
    context.close()

    # Another phone, another session: the course knows where the trainee stopped.
    context, page = phone(browser)
    sign_in(page, live_server)
    page.goto(f"{live_server.url}{course_page.url}")
    assert page.get_by_test_id("course-percent").inner_text() == "50 %"
    page.get_by_test_id("continue").click()
    assert "Modul 2" in page.locator("h1").inner_text()
    page.get_by_test_id("module-next").click()  # "done, back to the course"
    page.goto(f"{live_server.url}{course_page.url}")
    assert page.get_by_test_id("course-percent").inner_text() == "100 %"
    assert "4 JP" in page.get_by_test_id("jp-earned").inner_text()
    assert CourseCompletion.objects.filter(enrolment__trainee__email=TRAINEE).exists()
    context.close()
