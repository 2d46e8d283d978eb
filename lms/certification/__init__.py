"""Certification: applications, decisions, certificates and credentials."""
