"""The append-only evidence log: what a trainee showed, against which unit or KUK."""
