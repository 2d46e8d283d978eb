"""Receivers of signals from the apps below (connected in `CoursesConfig.ready()`)."""

from __future__ import annotations

from typing import Any

from assessments.models import Attempt
from courses.services import modules_complete_for_graded_attempt


def on_attempt_graded(sender: Any, *, attempt: Attempt, **kwargs: Any) -> None:
    """A graded (or re-scored) attempt may complete "assessment passed" modules."""
    modules_complete_for_graded_attempt(attempt=attempt)
