"""Koel's own REST API, under /api/v1/ (DRF, documented by drf-spectacular)."""
