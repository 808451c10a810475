"""Composition root (filled in below)."""
