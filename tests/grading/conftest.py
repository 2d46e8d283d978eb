"""Fixtures of the grading tests."""

from __future__ import annotations

import pytest

from tests.assessments.builders import centre_make
from tests.grading.factories import GRADER_A, GRADER_B, university_of


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def centre(db):
    return centre_make("R3")


@pytest.fixture
def university_a(db):
    return university_of(GRADER_A)


@pytest.fixture
def university_b(db):
    return university_of(GRADER_B)
