"""Causes about the analytic gradient (the user's backward)."""
