"""Causes about the update the user's step applies, and about the short training run."""
