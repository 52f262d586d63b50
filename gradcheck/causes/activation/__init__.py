"""Causes about the hidden activations: saturated sigmoids/tanh, dead ReLUs."""
