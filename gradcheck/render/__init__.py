"""Renderers: ``Report -> str``, nothing else (text, json, html, sarif)."""
