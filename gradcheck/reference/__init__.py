"""The reference network: a correct MLP fed the user's weights, the oracle of gradcheck.

- ``mlp``: the correct network (forward, loss, exact backprop, training) and its trace.
- ``variants``: named wrong-but-plausible gradients computed with the same maths.
- ``mapping``: the user's ``{name: array}`` laid out as reference layers, and back.
- ``identify``: which activations the user's forward computes, or where it departs.
"""
from gradcheck.reference.identify import DEPARTURES, Architecture, Candidate, identify, probe_inputs
from gradcheck.reference.mapping import (LayerMap, MappingError, ParamMap, from_reference_grads, map_params,
                                         to_reference_params)
from gradcheck.reference.mlp import MLP, Curves, Trace
from gradcheck.reference.variants import VARIANTS

__all__ = ["MLP", "Curves", "Trace", "VARIANTS", "map_params", "ParamMap", "LayerMap", "MappingError",
           "to_reference_params", "from_reference_grads", "identify", "Architecture", "Candidate",
           "DEPARTURES", "probe_inputs"]
