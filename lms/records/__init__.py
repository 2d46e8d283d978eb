"""Competency records: per trainee and unit, derived from the evidence log."""
