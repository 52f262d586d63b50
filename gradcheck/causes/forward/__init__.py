"""Causes about the forward pass and evaluation."""
