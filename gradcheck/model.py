"""The user's contract: ``gradcheck.Model`` and ``@gradcheck.register``.

A Model is a handful of callables around the user's own network. gradcheck only
ever calls them; it never needs the user's classes.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping


LAYOUTS = ("rows", "columns", "sample")
LOSSES = ("auto", "mse", "cross_entropy", "nll", "binary_cross_entropy")


class InvalidModel(ValueError):
    """The Model itself is malformed (wrong argument types): a bad-input error."""


@dataclass
class Model:
    """A hand-written network as gradcheck sees it.

    Args:
        params: dict ``{name: array}`` or a callable returning one, read fresh each time.
        forward: ``forward(X) -> output`` in the model's layout.
        backward: ``backward(X, Y) -> {name: gradient}`` (same keys and shapes as params).
        loss: what ``backward`` differentiates: "mse", "cross_entropy" (softmax applied to
            the output scores), "nll" (output already probabilities), "binary_cross_entropy",
            a callable ``(output, Y) -> float``, or "auto" (inferred and reported).
        step: ``step(X, Y)`` applies one update in place, as the user's training does.
        data: ``data() -> (X, y)`` exactly as the user's code feeds the network.
        evaluate: ``evaluate(X, labels) -> accuracy`` computed by the user's code.
        layout: "rows" (X is (n, features)), "columns" ((features, n)) or "sample"
            (one sample at a time, a (features, 1) column).
        name: shown in reports; defaults to the registering function's name.
        learning_rate: the step's learning rate, when known (zero-config adapters set it).
    """

    params: Mapping[str, Any] | Callable[[], Mapping[str, Any]]
    forward: Callable[..., Any]
    backward: Callable[..., Any] | None = None
    loss: str | Callable[..., float] = "auto"
    step: Callable[..., Any] | None = None
    data: Callable[[], Any] | None = None
    evaluate: Callable[..., Any] | None = None
    layout: str = "rows"
    name: str | None = None
    learning_rate: float | None = None
    factory: Callable[..., "Model"] | None = field(default=None, repr=False)
    """How to build a fresh instance (set by ``register`` and the adapters)."""
    source: str | None = field(default=None, repr=False)
    """The file the model was found in."""
    kind: str = "registered"
    """"registered", or the zero-config adapter that built it ("nielsen", "rashid")."""
    origins: dict[str, Callable] = field(default_factory=dict, repr=False)
    """The user's own function behind a role, when the role is a wrapper (adapters)."""
    resize: Callable[[tuple[int, ...]], "Model"] | None = field(default=None, repr=False)
    """Build a fresh Model with other layer sizes (set when the registered factory takes a ``sizes``
    argument, and by the zero-config adapters); shape exploration uses it."""
    sizes: tuple[int, ...] | None = None
    """The layer sizes the model was built with, when ``resize`` is known."""

    def __post_init__(self) -> None:
        if self.layout not in LAYOUTS:
            raise InvalidModel(f"layout must be one of {', '.join(LAYOUTS)}; got {self.layout!r}.")
        if not callable(self.forward):
            raise InvalidModel("Model(forward=...) must be a function forward(X) -> output.")
        if self.backward is None and self.step is None:
            raise InvalidModel(
                "Model needs backward(X, Y) -> {name: gradient}, or step(X, Y) from which "
                "gradcheck infers the gradient; neither was given."
            )
        if not (callable(self.loss) or self.loss in LOSSES):
            raise InvalidModel(f"loss must be one of {', '.join(LOSSES)} or a callable; got {self.loss!r}.")
        if not (callable(self.params) or isinstance(self.params, Mapping)):
            raise InvalidModel("Model(params=...) must be a dict {name: array} or a function returning one.")

    def get_params(self) -> dict[str, Any]:
        """The live parameter arrays (not copies), read fresh."""
        p = self.params() if callable(self.params) else self.params
        if not isinstance(p, Mapping):
            raise InvalidModel(f"params() must return a dict {{name: array}}; it returned {type(p).__name__}.")
        return dict(p)

    @property
    def label(self) -> str:
        return self.name or "model"

    def user_function(self, role: str) -> Callable | None:
        """The user's own function for ``role`` (unwrapping adapter wrappers), for file:line."""
        return self.origins.get(role) or getattr(self, role, None)


def source_location(fn: Callable) -> tuple[str | None, int | None]:
    """File and first line of a user function (unwrapping methods and partials)."""
    try:
        fn = inspect.unwrap(getattr(fn, "__func__", fn))
        return inspect.getsourcefile(fn), inspect.getsourcelines(fn)[1]
    except (TypeError, OSError):
        return None, None


_REGISTRY: list[tuple[str, Callable[[], Model], str | None]] = []


def register(fn: Callable[[], Model] | None = None, *, name: str | None = None):
    """Mark a factory ``() -> Model`` so ``gradcheck run file.py`` finds it.

    Usable bare (``@gradcheck.register``) or with a name
    (``@gradcheck.register(name="small")``). The function is returned unchanged.
    """

    def deco(f: Callable[[], Model]) -> Callable[[], Model]:
        _REGISTRY.append((name or f.__name__, f, getattr(f, "__module__", None)))
        return f

    return deco(fn) if fn is not None else deco
