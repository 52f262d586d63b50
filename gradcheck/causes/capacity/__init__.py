"""Causes about the network's shape: layers too narrow to carry the classes."""
