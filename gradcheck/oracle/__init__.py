"""The oracle: the user's model set against the reference network, and what that tells.

The probe ``gradcheck.probes.oracle`` runs these in order:

- ``wiring``: the user's parameters laid onto a reference MLP (sizes, orientation,
  activations, loss), so both compute with the very same weights.
- ``differential``: with those weights, the first quantity where the user's network
  departs from the correct one: the forward output, the gradient of a parameter
  (in backprop order), or the update rule.
- ``runs``: short seeded training runs of the user's own model and of the reference,
  from the same initial weights on the same batches, optionally with one change
  (inputs scaled, fan-in initialisation, another learning rate, a wider hidden
  layer, the correct gradient in place of the user's backward).
- ``diagnosis``: the side-by-side verdict (code or settings), the changes that
  make the reference learn, and those confirmed on the user's own model.

Nothing here judges: the causes (``forward-mismatch``, ``training-fails``, and the
``confirmed`` flag of other causes) read the evidence.
"""
