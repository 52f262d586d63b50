"""The lint rules, one module per cause; each registers itself with ``@rule``."""
