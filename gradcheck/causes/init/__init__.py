"""Causes about how the weights start: sign, symmetry, scale."""
