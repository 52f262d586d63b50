"""The reference network: a correct MLP fed the user's weights, the oracle of gradcheck."""
from gradcheck.reference.mlp import MLP, Curves, Trace

__all__ = ["MLP", "Curves", "Trace"]
