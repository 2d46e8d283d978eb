"""Competency standards (SKKNI shape) and certification schemes."""
