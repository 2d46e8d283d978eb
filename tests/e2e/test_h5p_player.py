"""A trainee plays drag-text.h5p in the isolated player, on a phone-sized screen.

The player frame is served from another origin (127.0.0.1 while the site is on
localhost), as production's H5P_CONTENT_ORIGIN would be. The trainee drags two
words, leaves, comes back in a new session to find them in place, finishes and
checks; the stored attempt carries the server-verified score. A statement forged
by hand with full marks is flagged and not verified.
"""

import json
import uuid

import pytest

from cms.demo import DEMO_PASSWORD
from courses.h5p.models import H5PAttempt, H5PUserData
from courses.h5p.services import content_import
from lms.evidence.models import EvidenceRecord
from lms.models import Organisation, PerformanceCriterion
from tests.h5p.h5p_factories import SAMPLES, embed_for
from tests.lms.lms_factories import make_standard

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
TRAINEE = "peserta1.r3@lms.example"


@pytest.fixture
def content_origin(live_server):
    """A second server for the player: another origin on the same site, as
    production's h5p.<domain> beside <domain> would be."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.db import connections
    from django.test.testcases import LiveServerThread

    # Like pytest-django's live server: share in-memory SQLite with the test.
    shared = {
        conn.alias: conn
        for conn in connections.all()
        if conn.vendor == "sqlite" and conn.is_in_memory_db()
    }
    for conn in shared.values():
        conn.inc_thread_sharing()
    thread = LiveServerThread(
        "localhost", StaticFilesHandler, connections_override=shared
    )
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    yield f"http://localhost:{thread.port}"
    thread.terminate()
    for conn in shared.values():
        conn.dec_thread_sharing()


@pytest.fixture
def drag_text(demo_world, live_server, content_origin, settings):
    settings.H5P_CONTENT_ORIGIN = content_origin
    with open(SAMPLES / "valid" / "drag-text.h5p", "rb") as handle:
        content = content_import(
            source=handle,
            centre=Organisation.objects.get(code="R3"),
            user=None,
            can_install_libraries=True,
        ).content
    make_standard(units=1, elements=1, criteria=1)
    content.criteria.set(PerformanceCriterion.objects.all())
    # Only trainees of a course whose module embeds the content may play it.
    embed_for(content, TRAINEE)
    return content


def sign_in(page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", TRAINEE)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(f"{live_server.url}/saya/")


def exercise(page):
    """The H5P content lives in an inner frame of the player frame."""
    return page.frame_locator("iframe.h5p-frame").frame_locator("iframe")


def dropzones(task):
    return task.locator(".h5p-drag-dropzone-container .ui-droppable")


def drag(task, word, zone_index):
    word = task.locator(".h5p-drag-draggables-container .ui-draggable", has_text=word)
    word.first.drag_to(dropzones(task).nth(zone_index))


def test_play_resume_check_and_forge(browser, live_server, content_origin, drag_text):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(20_000)
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/h5p/{drag_text.uuid}/")
    frame_src = page.locator("iframe.h5p-frame").get_attribute("src")
    assert frame_src.startswith(f"{content_origin}/")  # the separate content origin
    task = exercise(page)
    dropzones(task).first.wait_for()
    drag(task, "blue", 0)
    drag(task, "red", 1)
    # H5P saves the state every few seconds through the frame's signed endpoint.
    for _ in range(40):
        if H5PUserData.objects.filter(content=drag_text, data_type="state").exists():
            break
        page.wait_for_timeout(500)
    assert H5PUserData.objects.filter(content=drag_text, data_type="state").exists()
    context.close()

    # A new session (another phone): the two words are where the trainee left them.
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(20_000)
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/h5p/{drag_text.uuid}/")
    task = exercise(page)
    zones = dropzones(task)
    zones.first.wait_for()
    page.wait_for_timeout(1000)
    assert "blue" in zones.nth(0).inner_text()
    assert "red" in zones.nth(1).inner_text()

    drag(task, "orange", 2)
    task.locator(".h5p-question-check-answer").click()
    for _ in range(40):
        attempt = H5PAttempt.objects.filter(content=drag_text).first()
        if attempt:
            break
        page.wait_for_timeout(500)
    assert attempt is not None, "no attempt stored"
    assert (attempt.raw, attempt.max, attempt.verified, attempt.flagged) == (
        3,
        3,
        True,
        False,
    )

    # A forged statement, posted by hand from the signed-in page with full marks.
    forged = {
        "id": str(uuid.uuid4()),
        "actor": {"mbox": f"mailto:{TRAINEE}"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
        "object": {"id": f"{live_server.url}/h5p/{drag_text.uuid}/"},
        "result": {"score": {"raw": 3, "max": 3, "scaled": 1}, "response": "red[,][,]"},
    }
    status = page.evaluate(
        """async ([url, body]) => {
            const token = document.cookie.match(/csrftoken=([^;]+)/)[1];
            const response = await fetch(url, {method: "POST", body,
                headers: {"Content-Type": "application/json", "X-CSRFToken": token}});
            return response.status;
        }""",
        [f"/h5p/{drag_text.uuid}/xapi/", json.dumps(forged)],
    )
    assert status == 200
    forged_attempt = H5PAttempt.objects.get(statement__statement_id=forged["id"])
    assert forged_attempt.flagged and not forged_attempt.verified
    assert forged_attempt.raw == 0
    # …and never becomes evidence.
    assert EvidenceRecord.objects.filter(trainee__email=TRAINEE).count() == 1
    assert content_origin != live_server.url
    context.close()
