"""Causes about the user's evaluation code (accuracy computed wrongly)."""
