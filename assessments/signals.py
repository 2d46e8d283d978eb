"""Signals assessments send to the apps above it (notifications only).

`attempt_graded` — sent after the transaction that graded an attempt (or changed
its score by an override) commits. Arguments: `attempt` (the `Attempt`). The
course layer uses it to complete modules whose rule is "assessment passed"; the
grading itself never depends on a receiver.
"""

from django.dispatch import Signal

attempt_graded = Signal()
