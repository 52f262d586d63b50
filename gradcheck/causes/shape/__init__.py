"""Causes about shapes: broadcasts, matrix types, gradients and parameters of the wrong shape."""
