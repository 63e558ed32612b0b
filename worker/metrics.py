"""Metrics and health for operators: with MOJI_METRICS_PORT set, the bot and every worker
process serve on that port

- `/metrics`: Prometheus text (prometheus-client's default registry);
- `/healthz`: 200 while the process lives and its health thread runs (a liveness probe:
  restart the process when it fails);
- `/readyz`: 200 when the process can do its work, else 503 and the reasons, one a line
  (Redis unreachable, the models not loaded yet, the bot not started): a readiness probe.

`moji run` gives the bot MOJI_METRICS_PORT and its workers the ports after it; docker-compose.yml
gives each service its own. The names (all `moji_`), what they count and the dashboard that uses
them are in docs/metrics.md and docs/grafana/moji-dashboard.json. Imports no torch, mediapipe or
Telegram: the bot and the workers both use it.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

log = logging.getLogger(__name__)

# --- the bot --------------------------------------------------------------------------------------
UPDATES = Counter("moji_bot_updates", "Updates the bot received, by kind (message, "
                  "callback_query, inline_query, edited_message, ...)", ["kind"])
MEDIA = Counter("moji_bot_media", "Photos and clips the bot received, by kind (photo, "
                "image_file, video_note, video, animation, video_file)", ["kind"])
SUBMISSIONS = Counter("moji_bot_submissions", "What became of each photo or clip the bot took: "
                      "queued, cached, limited, busy, not_ready", ["outcome"])

# --- the workers ----------------------------------------------------------------------------------
STICKERS = Counter("moji_worker_stickers", "Stickers a worker sent, by job (make_sticker, "
                   "identity_sticker, build_pack) and media (photo, clip)", ["job", "media"])
FAILURES = Counter("moji_worker_failures", "Jobs that ended without a sticker, by error code "
                   "(no_face, bad_image, too_large, ..., failed: out of retries)", ["code"])
RETRIES = Counter("moji_worker_retries", "Job tries that failed and were put back for a retry")
JOBS = Counter("moji_worker_jobs", "Jobs a worker ran, by job function", ["job"])
LATENCY = Histogram(
    "moji_update_to_sticker_seconds", "From the bot receiving the update to the sticker sent",
    ["media"], buckets=(0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 8, 13, 20, 30, 60, 120))
STAGES = Histogram(
    "moji_stage_seconds", "Time of each stage of a sticker job: the worker's (get_file, "
    "download, render, webp, send, record, ...) and, inside render, the pipeline's "
    "(pipeline_decode, pipeline_analyze, pipeline_embed, pipeline_match, ...)",
    ["stage"], buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))

# --- both -----------------------------------------------------------------------------------------
QUEUE_DEPTH = Gauge("moji_queue_depth", "Jobs waiting in the queue (read every few seconds)")
SCHEDULED = Gauge("moji_queue_scheduled", "Retries waiting for their time")
READY = Gauge("moji_ready", "1 when this process can do its work (what /readyz says)")
REDIS_UP = Gauge("moji_redis_up", "1 when the last Redis ping of this process answered")

CHECK_EVERY_S = 2.0  # how often the health thread pings Redis: /readyz follows within ~4 s
REDIS_TIMEOUT_S = 2.0


def port_from_env() -> int | None:
    """MOJI_METRICS_PORT as a number; None: no metrics server."""
    raw = os.environ.get("MOJI_METRICS_PORT", "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"moji: MOJI_METRICS_PORT must be a port number, not {raw!r}.") from None


class Health:
    """What /healthz and /readyz answer: a thread pings Redis (and reads the queue's depth)
    every few seconds; the process adds its own conditions (`require`)."""

    def __init__(self, redis_url: str, queue: str) -> None:
        self.redis_url, self.queue = redis_url, queue
        self.redis_ok = False
        self.last_check = 0.0
        self._conditions: dict[str, Callable[[], bool]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True, name="moji-health")

    def require(self, reason: str, check: Callable[[], bool]) -> None:
        """Ready only while `check()` is true; `reason` says what is wrong when it is not."""
        self._conditions[reason] = check

    def start(self) -> Health:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def alive(self) -> bool:
        return self._thread.is_alive()

    def problems(self) -> list[str]:
        """Why the process is not ready (empty: ready)."""
        found = []
        if not self.redis_ok or time.monotonic() - self.last_check > 5 * CHECK_EVERY_S:
            found.append("Redis unreachable")
        found += [reason for reason, check in self._conditions.items() if not _safe(check)]
        READY.set(0 if found else 1)
        return found

    def _loop(self) -> None:
        import redis

        from .config import redis_connection

        client = redis_connection(self.redis_url)
        client.connection_pool.connection_kwargs.update(
            socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S)
        queue_key, scheduled_key = f"rq:queue:{self.queue}", f"rq:scheduled:{self.queue}"
        while not self._stop.is_set():
            try:
                with client.pipeline(transaction=False) as pipe:
                    pipe.ping()
                    pipe.llen(queue_key)
                    pipe.zcard(scheduled_key)
                    _, depth, scheduled = pipe.execute()
                QUEUE_DEPTH.set(depth)
                SCHEDULED.set(scheduled)
                self.redis_ok = True
            except (redis.RedisError, OSError) as exc:
                if self.redis_ok:
                    log.warning("health check: Redis unreachable (%s)", exc)
                self.redis_ok = False
            REDIS_UP.set(1 if self.redis_ok else 0)
            self.last_check = time.monotonic()
            self.problems()  # keeps the moji_ready gauge current
            self._stop.wait(CHECK_EVERY_S)


def _safe(check: Callable[[], bool]) -> bool:
    try:
        return bool(check())
    except Exception:  # noqa: BLE001  (a check that fails says "not ready")
        return False


def serve(port: int, health: Health, host: str = "0.0.0.0") -> ThreadingHTTPServer:
    """Serve /metrics, /healthz and /readyz on `port` from a daemon thread."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802  (http.server's name)
            path = self.path.split("?")[0]
            if path == "/metrics":
                self._send(200, generate_latest(REGISTRY), CONTENT_TYPE_LATEST)
            elif path == "/healthz":
                ok = health.alive()
                self._send(200 if ok else 503, b"ok\n" if ok else b"health thread stopped\n")
            elif path == "/readyz":
                problems = health.problems()
                body = ("\n".join(problems) if problems else "ready") + "\n"
                self._send(503 if problems else 200, body.encode())
            else:
                self._send(404, b"try /metrics, /healthz or /readyz\n")

        def _send(self, code: int, body: bytes,
                  content_type: str = "text/plain; charset=utf-8") -> None:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass  # a probe every few seconds is not news

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True, name="moji-metrics").start()
    return server


def start_from_env(redis_url: str, queue: str, role: str) -> Health | None:
    """Start the health thread and, with MOJI_METRICS_PORT set, the server; returns the Health
    (None without a port). `role` (bot, worker) is only for the log line."""
    port = port_from_env()
    if port is None:
        return None
    health = Health(redis_url, queue).start()
    # every interface by default (a container's port is reached from outside it); 127.0.0.1
    # keeps the endpoints to this machine
    host = os.environ.get("MOJI_METRICS_HOST", "").strip() or "0.0.0.0"
    try:
        serve(port, health, host)
    except OSError as exc:
        raise SystemExit(f"moji {role}: cannot serve metrics on port {port} ({exc}). Set "
                         "MOJI_METRICS_PORT to a free port.") from None
    log.info("%s: /metrics, /healthz and /readyz on port %d", role, port)
    return health


# --- what a worker observes of each job -----------------------------------------------------------

def observe_job(job: Any, retries_before: int | None) -> None:
    """Count a job a worker just ran: a sticker (with its latency and stage times), a failure
    by its error code, or a retry. Never raises: metrics must not fail a job."""
    try:
        _observe_job(job, retries_before)
    except Exception as exc:  # noqa: BLE001
        log.debug("job metrics not recorded: %s", exc)


def _observe_job(job: Any, retries_before: int | None) -> None:
    name = (job.func_name or "").rsplit(".", 1)[-1]
    JOBS.labels(name).inc()
    status = job.get_status(refresh=False)
    if str(status) in ("finished", "JobStatus.FINISHED"):
        result = job._result if isinstance(job._result, dict) else {}
        if result.get("duplicate"):
            return
        if result.get("ok") and (result.get("file_id") or name != "make_sticker"):
            media = result.get("media", "photo")
            STICKERS.labels(name, media).inc()
            payload = job.args[0] if job.args else {}
            received = payload.get("received_at") if isinstance(payload, dict) else None
            if received:
                LATENCY.labels(media).observe(max(0.0, time.time() - float(received)))
            # the worker's stages as they are; the pipeline's inside its "render" stage with
            # a prefix (it has a "render" of its own: the SVG to PNG)
            for prefix, timings in (("", result.get("stages_ms")),
                                    ("pipeline_", result.get("timings_ms"))):
                for stage, ms in (timings or {}).items():
                    if isinstance(ms, (int, float)) and stage != "total":
                        STAGES.labels(prefix + stage).observe(ms / 1000)
        elif not result.get("ok", True):
            FAILURES.labels(str(result.get("error", "failed"))).inc()
        return
    left = job.retries_left
    if retries_before and left is not None and left < retries_before:
        RETRIES.inc()
    else:
        FAILURES.labels("failed").inc()


def count_update(update: Any) -> None:
    """Count an update the bot received, by kind, and the photo or clip it carries."""
    kind = next((name for name in _UPDATE_KINDS if getattr(update, name, None) is not None),
                "other")
    UPDATES.labels(kind).inc()
    message = getattr(update, "message", None) or getattr(update, "channel_post", None)
    if message is None:
        return
    if message.photo:
        MEDIA.labels("photo").inc()
    elif message.video_note:
        MEDIA.labels("video_note").inc()
    elif message.animation:
        MEDIA.labels("animation").inc()
    elif message.video:
        MEDIA.labels("video").inc()
    elif message.document is not None:
        mime = (message.document.mime_type or "").lower()
        if mime.startswith("image/"):
            MEDIA.labels("image_file").inc()
        elif mime.startswith("video/"):
            MEDIA.labels("video_file").inc()


_UPDATE_KINDS = ("message", "edited_message", "channel_post", "edited_channel_post",
                 "callback_query", "inline_query", "chosen_inline_result", "my_chat_member",
                 "chat_member", "message_reaction", "pre_checkout_query", "shipping_query",
                 "poll", "poll_answer", "chat_join_request")
