"""Causes judged from training runs as a whole (the oracle's side-by-side verdict)."""
