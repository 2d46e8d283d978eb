"""A trainee completes a module and a quiz with the keyboard alone, focus always shown.

Only Tab, Shift+Tab, Enter, Space and arrow keys (and typing) are used; the
address bar is the only other input, as a keyboard user would type a link.
"""

from __future__ import annotations

import pytest

from assessments.models import Attempt
from cms.demo import DEMO_PASSWORD
from courses.models import CourseCompletion
from lms.models import Organisation
from tests.assessments.builders import quiz_make
from tests.courses.helpers import course_publish
from tests.e2e.conftest import new_page

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
TRAINEE = "peserta2.r3@lms.example"
MAX_TABS = 80

# Is the element focused, and does the page show it (an outline or a box shadow)?
FOCUS_SHOWN = """(selector) => {
    const el = document.activeElement;
    if (!el || !el.matches(selector)) return null;
    const style = getComputedStyle(el);
    const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
    return el.matches(':focus-visible') && (outline || style.boxShadow !== 'none');
}"""


def tab_to(page, selector: str, *, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until `selector` has focus; its focus must show."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(MAX_TABS):
        page.keyboard.press(key)
        shown = page.evaluate(FOCUS_SHOWN, selector)
        if shown is not None:
            assert shown, f"focus on {selector} at {page.url} is not visible"
            return
    raise AssertionError(f"{selector} never took focus with {key} at {page.url}")


def test_module_and_quiz_with_the_keyboard_only(browser, live_server, demo_accounts):
    course_page = course_publish(centre_code="R3", code="KEY-1", modules=1, total_jp=2)
    quiz = quiz_make(
        centre=Organisation.objects.get(code="R3"), questions=2, title="Kuis Papan"
    )
    context, page = new_page(browser, phone=True)

    page.goto(f"{live_server.url}/accounts/login/")
    tab_to(page, "input[name=login]")
    page.keyboard.type(TRAINEE)
    tab_to(page, "input[name=password]")
    page.keyboard.type(DEMO_PASSWORD)
    tab_to(page, "form[action$='/accounts/login/'] button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/saya/")

    # The module: enrol, continue, read, mark done.
    page.goto(f"{live_server.url}{course_page.url}")
    tab_to(page, "[data-testid=enrol]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab_to(page, "[data-testid=continue]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Modul 1" in page.locator("h1").inner_text()
    tab_to(page, "[data-testid=module-next]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert CourseCompletion.objects.filter(enrolment__trainee__email=TRAINEE).exists()

    # The quiz: start, answer with Space and the arrow keys, submit.
    page.goto(f"{live_server.url}/asesmen/{quiz.uuid}/")
    tab_to(page, "[data-testid=start]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab_to(page, "[data-testid=slot-1] input[value=true]")
    page.keyboard.press("Space")  # the first choice, True: correct
    tab_to(page, "[data-testid=slot-2] input[type=radio]")
    page.keyboard.press("ArrowDown")  # moves to False and selects it: wrong
    assert page.locator("[data-testid=slot-2] input[value=false]").is_checked()
    # Back one field with Shift+Tab, to check the first answer is kept.
    tab_to(page, "[data-testid=slot-1] input[value=true]", backwards=True)
    assert page.locator("[data-testid=slot-1] input[value=true]").is_checked()
    tab_to(page, "[data-testid=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "1 / 2" in page.get_by_test_id("result").inner_text()
    attempt = Attempt.objects.get(assessment=quiz, trainee__email=TRAINEE)
    assert attempt.score == 1
    context.close()
