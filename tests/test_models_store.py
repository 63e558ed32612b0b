"""The model store: the official file, checked by sha256, downloaded when missing."""

from __future__ import annotations

import dataclasses
import functools
import http.server
import shutil
import threading

import pytest

from pipeline.errors import MojiError
from pipeline.models import FACE_LANDMARKER, cache_dir, model_path


@pytest.fixture
def cache(tmp_path, monkeypatch):
    real = cache_dir() / FACE_LANDMARKER.filename
    monkeypatch.setenv("MOJI_CACHE_DIR", str(tmp_path))
    return tmp_path / "models", real


def test_corrupt_model_says_how_to_fix_it(cache):
    folder, _ = cache
    folder.mkdir(parents=True)
    (folder / FACE_LANDMARKER.filename).write_bytes(b"truncated download")
    with pytest.raises(MojiError) as err:
        model_path(FACE_LANDMARKER)
    assert err.value.code == "model_corrupt"
    assert "moji models fetch" in err.value.message and FACE_LANDMARKER.url in err.value.message


def test_missing_model_offline_says_how_to_fix_it(cache):
    with pytest.raises(MojiError) as err:
        model_path(FACE_LANDMARKER, allow_download=False)
    assert err.value.code == "model_missing" and str(cache[0]) in err.value.message


def _serve(folder):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_download_checks_the_sha256(cache, tmp_path_factory):
    folder, real = cache
    served = tmp_path_factory.mktemp("served")
    shutil.copy(real, served / FACE_LANDMARKER.filename)
    (served / "wrong.task").write_bytes(b"x" * 1000)
    server = _serve(served)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        good = dataclasses.replace(FACE_LANDMARKER, url=f"{base}/{FACE_LANDMARKER.filename}")
        path = model_path(good, allow_download=True)
        assert path == folder / FACE_LANDMARKER.filename and path.stat().st_size == good.size
        path.unlink()
        bad = dataclasses.replace(FACE_LANDMARKER, url=f"{base}/wrong.task")
        with pytest.raises(MojiError) as err:
            model_path(bad, allow_download=True)
        assert err.value.code == "model_corrupt"
        assert not path.exists() and not list(folder.glob(".*"))  # nothing half-written left
    finally:
        server.shutdown()
