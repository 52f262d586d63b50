"""Renderers: turn findings and reports into text, JSON, HTML or SARIF; nothing else."""
