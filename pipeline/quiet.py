"""Silence the log lines MediaPipe's native code (glog/absl, TensorFlow Lite, LiteRT) writes.

They go straight to file descriptor 2 ("INFO: Created TensorFlow Lite XNNPACK delegate for
CPU", "W0000 ... inference_feedback_manager.cc ..."), so neither Python's logging nor the
GLOG_minloglevel / TF_CPP_MIN_LOG_LEVEL variables stop them (this MediaPipe build ignores both).
`native_quiet()` points fd 2 at /dev/null around the calls that print them (model creation, the
first inference, closing) unless logging is at DEBUG, where they are kept for diagnosis.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_depth = 0
_saved_fd: int | None = None


def _wanted() -> bool:
    """Native lines are shown only when Moji logs at DEBUG (MOJI_LOG_LEVEL=DEBUG or -v)."""
    return logging.getLogger().getEffectiveLevel() <= logging.DEBUG


@contextlib.contextmanager
def native_quiet() -> Iterator[None]:
    """Inside, whatever writes to fd 2 (Python's stderr included) is dropped; fd 2 comes back
    on the way out. Nested and concurrent uses share one redirection, which ends with the last.
    Meant for short calls at start-up and shutdown: a traceback printed inside is lost, but an
    exception still propagates and is printed after fd 2 is back."""
    global _depth, _saved_fd
    if _wanted():
        yield
        return
    with _lock:
        if _depth == 0:
            try:
                sys.stderr.flush()
            except (AttributeError, OSError, ValueError):
                pass
            devnull = os.open(os.devnull, os.O_WRONLY)
            _saved_fd = os.dup(2)
            os.dup2(devnull, 2)
            os.close(devnull)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _saved_fd is not None:
                os.dup2(_saved_fd, 2)
                os.close(_saved_fd)
                _saved_fd = None
