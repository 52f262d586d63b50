"""Causes about the data: input scale and dtype, targets the output cannot reach."""
