"""What drives a layer's saturation or dead units: shared by the activation and init causes."""
from __future__ import annotations

from gradcheck.causes._where import fmt, pct

LABELS = {
    "inputs scaled to [0, 1]": "inputs scaled to [0, 1]",
    "bias at 0": "bias at 0",
    "weights centred": "{w} centred on 0",
    "weights at 1/sqrt(fan_in)": "{w} redrawn at std 1/sqrt({fan_in})",
    "inputs scaled to [0, 1] and weights centred": "inputs scaled and {w} centred",
    "inputs scaled to [0, 1] and weights at 1/sqrt(fan_in)": "inputs scaled and {w} redrawn at std 1/sqrt({fan_in})",
}


def driver_line(L, weight: str, fan_in: int | None, what: str) -> str | None:
    """'saturated with inputs scaled to [0, 1]: 100 %; W1 centred on 0: 99 %; both: 4 %'."""
    d = {k: v for k, v in L.drivers.items() if k != "now"}
    if not d:
        return None
    parts = []
    for key, v in d.items():
        label = LABELS.get(key, key).format(w=weight, fan_in=fan_in if fan_in else "fan_in")
        parts.append(f"{label}: {pct(v)}")
    return f"{what} if one thing changes: " + "; ".join(parts)


def fixes(L, threshold: float) -> list[str]:
    """Driver keys that, alone, bring the bad fraction below ``threshold``."""
    return [k for k, v in L.drivers.items() if k != "now" and v < threshold]


def zline(L) -> str | None:
    if L.z is None or not L.z.size:
        return None
    return f"pre-activations z of layer {L.layer}: mean {fmt(float(L.z.mean()))}, std {fmt(float(L.z.std()))}"
