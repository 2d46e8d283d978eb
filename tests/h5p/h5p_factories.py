"""Helpers for H5P tests: library/content rows and xAPI statements."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

from courses.h5p.models import H5PContent, H5PLibrary
from lms.models import Organisation

# The shared sample packages lie beside the checkout (../shared), in CI too.
SAMPLES = Path(
    os.environ.get(
        "LMS_H5P_SAMPLES",
        Path(__file__).resolve().parents[2].parent / "shared" / "samples" / "h5p",
    )
)


def library(machine_name: str, major: int = 1, minor: int = 0) -> H5PLibrary:
    row, _created = H5PLibrary.objects.get_or_create(
        machine_name=machine_name,
        major_version=major,
        minor_version=minor,
        defaults={
            "patch_version": 0,
            "title": machine_name,
            "runnable": True,
            "content_hash": "0" * 64,
        },
    )
    return row


def content(
    *,
    machine_name: str = "H5P.GreetingCard",
    params: dict | None = None,
    centre: str = "R3",
    grading_method: str = "highest",
    enrol: tuple[str, ...] = (),
) -> H5PContent:
    made = H5PContent.objects.create(
        centre=Organisation.objects.get(code=centre),
        title=f"Konten {machine_name}",
        main_library=library(machine_name),
        params=params or {},
        grading_method=grading_method,
    )
    if enrol:
        embed_for(made, *enrol)
    return made


def embed_for(made: H5PContent, *emails: str) -> None:
    """Embed a content in a course module of its centre and enrol these people."""
    import uuid

    from courses.models import Course, Enrolment, EnrolmentState, Module
    from lms.models import User

    course = Course.objects.create(
        centre=made.centre,
        source_key=uuid.uuid4(),
        code=f"H5P-{made.pk}",
        title=f"Kursus {made.title}",
    )
    module = Module.objects.create(
        course=course, source_key=uuid.uuid4(), position=1, title="Modul 1"
    )
    module.h5p_contents.add(made)
    for email in emails:
        Enrolment.objects.create(
            trainee=User.objects.get(email=email),
            course=course,
            state=EnrolmentState.ACTIVE,
        )


def statement(
    *,
    user: Any,
    content: H5PContent,
    verb: str = "answered",
    raw: float | None = None,
    max_: float | None = None,
    response: str | None = None,
    sub_content_id: str = "",
    statement_id: str | None = None,
) -> dict[str, Any]:
    object_id = f"http://testserver/h5p/{content.uuid}/"
    extensions = {"http://h5p.org/x-api/h5p-local-content-id": str(content.uuid)}
    context: dict[str, Any] = {
        "contextActivities": {
            "category": [
                {"id": f"http://h5p.org/libraries/{content.main_library.folder}"}
            ]
        }
    }
    if sub_content_id:
        object_id += f"?subContentId={sub_content_id}"
        extensions["http://h5p.org/x-api/h5p-subContentId"] = sub_content_id
        context["contextActivities"]["parent"] = [
            {"id": f"http://testserver/h5p/{content.uuid}/"}
        ]
    data: dict[str, Any] = {
        "id": statement_id or str(uuid.uuid4()),
        "actor": {
            "name": user.full_name,
            "mbox": f"mailto:{user.email}",
            "objectType": "Agent",
        },
        "verb": {
            "id": f"http://adlnet.gov/expapi/verbs/{verb}",
            "display": {"en-US": verb},
        },
        "object": {
            "id": object_id,
            "objectType": "Activity",
            "definition": {"extensions": extensions},
        },
        "context": context,
    }
    if raw is not None:
        data["result"] = {
            "score": {
                "min": 0,
                "raw": raw,
                "max": max_,
                "scaled": raw / max_ if max_ else 0,
            },
            "completion": True,
        }
        if response is not None:
            data["result"]["response"] = response
    return data
