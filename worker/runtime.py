"""A worker process: one pipeline, one Bot API client, one Redis connection, and the RQ loop.

RQ's default Worker forks a work horse per job, so a model would load per job (and CUDA does not
survive fork). MojiWorker is a SimpleWorker (jobs run in this process) that keeps a short
heartbeat on the running job: when the process dies mid-job its entry in the started registry
expires within `MOJI_HEARTBEAT_TTL` seconds and `reap` retries the job or tells the person.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

from rq import Queue, SimpleWorker
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry
from rq.timeouts import TimerDeathPenalty

from .botapi import BotAPI
from .config import Keys, Settings, redis_connection

log = logging.getLogger(__name__)

REAPER_LOCK = "moji:lock:reaper"


class Runtime:
    """What a worker process loads once and every job shares."""

    def __init__(self, settings: Settings, pipeline: Any = None) -> None:
        self.settings = settings
        self.redis = redis_connection(settings.redis_url)
        self.bot = BotAPI.from_settings(settings)
        self._pipeline = pipeline
        self._lock = threading.Lock()

    @property
    def pipeline(self) -> Any:
        with self._lock:
            if self._pipeline is None:
                self._pipeline = load_pipeline()
            return self._pipeline

    def close(self) -> None:
        self.bot.close()
        if self._pipeline is not None:
            self._pipeline.close()


_current: Runtime | None = None


def current() -> Runtime:
    """This process's runtime, created from the environment on first use."""
    global _current
    if _current is None:
        _current = Runtime(Settings.from_env())
    return _current


def current_or_none() -> Runtime | None:
    return _current


def set_current(rt: Runtime | None) -> None:
    global _current
    _current = rt


def torch_device() -> str | None:
    """Where the torch models run (MOJI_DEVICE: auto | cpu | cuda; auto is cuda when torch sees
    a GPU): 'cuda' (or 'cuda:N'), or None for the CPU or no torch. MOJI_DEVICE=cuda without
    a GPU stops the worker with a message that says so (pipeline.weights.pick_device)."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return None
    from pipeline.weights import pick_device

    device = pick_device()
    return None if device == "cpu" else device


def load_pipeline() -> Any:
    """Build the pipeline once and build every style's part index, so no job pays for it."""
    from pipeline import Pipeline, PipelineOptions
    from pipeline.style import list_styles, load_style

    options = PipelineOptions()
    # torch is imported only where a torch model runs: a worker on the basic likeness and the
    # expression embedder starts two seconds faster and a few hundred MB smaller without it
    uses_torch = options.embedder != "expression" or options.likeness.method != "basic"
    device = torch_device() if uses_torch else None
    # the BiSeNet likeness and the torch embedders follow MOJI_DEVICE (pick_device) themselves
    log.info("torch models run on %s", device or "cpu")
    if options.embedder != "expression" and device:
        options.embedder_config.setdefault("device", device)
    pipeline = Pipeline.from_options(options)
    for name in list_styles():
        try:
            pipeline.index(load_style(name))
        except Exception as exc:  # a broken style must not stop the others
            log.warning("style %s could not be indexed: %s", name, exc)
    _warm_up(pipeline)
    return pipeline


def _warm_up(pipeline: Any) -> None:
    """Run the models once (the first inference is slow), so the first person does not wait."""
    import io

    from PIL import Image

    from pipeline.errors import MojiError

    out = io.BytesIO()
    Image.new("RGB", (320, 320), (200, 180, 160)).save(out, "JPEG")
    try:
        pipeline.render(out.getvalue())
    except MojiError:
        pass  # no face, as expected


@contextlib.contextmanager
def reaper_lock(connection: Any) -> Iterator[bool]:
    """One process at a time looks for abandoned jobs (else two could retry the same one)."""
    token = f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
    got = bool(connection.set(REAPER_LOCK, token, nx=True, px=10_000))
    try:
        yield got
    finally:
        if got and connection.get(REAPER_LOCK) == token.encode():
            connection.delete(REAPER_LOCK)


def reap(connection: Any, queue_name: str) -> int:
    """Handle jobs whose worker died: retry them, or (no retries left) tell the person. Also
    queue the retries that were put off (RQ's ScheduledJobRegistry) once they are due.

    Safe to call from any process and thread, often. Returns how many abandoned jobs it found.
    """
    with reaper_lock(connection) as got:
        if not got:
            return 0
        registry = StartedJobRegistry(queue_name, connection=connection,
                                      death_penalty_class=TimerDeathPenalty)
        expired = registry.get_expired_job_ids()
        if expired:
            log.warning("abandoned jobs found: %s", ", ".join(expired))
            registry.cleanup()
        rescue_dequeued(connection, queue_name)
        enqueue_due(connection, queue_name)
        return len(expired)


# How long a job may sit in RQ's intermediate list, taken off the queue but not started, before
# it is put back. A worker moves a job there and starts it a few milliseconds later; one that is
# still there after this long was taken at the instant Redis went away, and the worker never
# heard of it. RQ's own clean-up waits a minute for this (IntermediateQueue.cleanup), which a
# person feels as a sticker a minute late after every Redis restart.
DEQUEUED_GRACE_S = 6.0


def rescue_dequeued(connection: Any, queue_name: str, grace_s: float = DEQUEUED_GRACE_S) -> int:
    """Put back on the front of the queue the jobs that were dequeued but never started (seen in
    the intermediate list, still queued, at two rounds at least `grace_s` apart). Putting one
    back twice is harmless: the delivery claims keep the answer to one. Returns how many."""
    queue = Queue(queue_name, connection=connection)
    intermediate = queue.intermediate_queue
    started = set(StartedJobRegistry(queue=queue).get_job_ids(cleanup=False))
    rescued = 0
    for job_id in intermediate.get_job_ids():
        if job_id in started:
            continue
        seen_key = f"moji:dequeued:{job_id}"
        if connection.set(seen_key, time.time(), nx=True, ex=int(grace_s * 10)):
            continue  # first seen now (SET NX GET would need Redis 7)
        first_seen = connection.get(seen_key)
        if first_seen is None or time.time() - float(first_seen) < grace_s:
            continue
        job = queue.fetch_job(job_id)
        if job is not None and job.get_status(refresh=False) != JobStatus.QUEUED:
            continue  # started after all, or finished: not ours to move
        with connection.pipeline() as pipe:
            pipe.lrem(intermediate.key, 1, job_id)
            if job is not None:
                queue.push_job_id(job_id, pipeline=pipe, at_front=True)
            pipe.delete(seen_key)
            pipe.execute()
        if job is not None:
            log.warning("job %s was taken off the queue as Redis went away: queued again", job_id)
            rescued += 1
    return rescued


def enqueue_due(connection: Any, queue_name: str) -> int:
    """Move the delayed retries that are due from the ScheduledJobRegistry to the queue (what
    RQ's scheduler process does; Moji runs it here instead, so no worker forks). Returns how
    many."""
    from rq.registry import ScheduledJobRegistry
    from rq.utils import current_timestamp

    queue = Queue(queue_name, connection=connection)
    registry = ScheduledJobRegistry(queue=queue)
    job_ids = registry.get_jobs_to_schedule(current_timestamp())
    if not job_ids:
        return 0
    jobs = Job.fetch_many(job_ids, connection=connection)
    with connection.pipeline() as pipe:
        for job_id, job in zip(job_ids, jobs, strict=True):
            if job is not None:
                queue._enqueue_job(job, pipeline=pipe, at_front=job.should_enqueue_at_front())
            registry.remove(job_id, pipeline=pipe)
        pipe.execute()
    return len(job_ids)


class MojiWorker(SimpleWorker):
    """Runs jobs in-process (the pipeline stays loaded) and heartbeats the job while it runs."""

    heartbeat_ttl = 10

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        return self.heartbeat_ttl

    def execute_job(self, job: Job, queue: Queue) -> None:
        execution = self.prepare_execution(job)
        stop = threading.Event()
        beat = threading.Thread(target=self._beat, args=(job, execution, stop), daemon=True,
                                name="moji-heartbeat")
        beat.start()
        retries_before = job.retries_left
        try:
            self.perform_job(job, queue, execution)
        finally:
            stop.set()
            beat.join()
        from .metrics import observe_job

        observe_job(job, retries_before)
        self.set_state("idle")

    def _beat(self, job: Job, execution: Any, stop: threading.Event) -> None:
        while not stop.wait(max(1.0, self.heartbeat_ttl / 3)):
            try:
                self.maintain_heartbeats(job, execution)
            except Exception as exc:  # Redis hiccup: the next beat tries again
                log.warning("heartbeat failed: %s", exc)

    def clean_registries(self) -> None:
        with reaper_lock(self.connection) as got:
            if got:
                super().clean_registries()


def run_worker(settings: Settings, burst: bool = False, name: str | None = None,
               max_jobs: int | None = None) -> int:
    """Load the pipeline, then work the queue until stopped. Returns an exit code."""
    from . import jobs, metrics

    rt = Runtime(settings)
    set_current(rt)
    health = metrics.start_from_env(settings.redis_url, settings.queue, "worker")
    if health is not None:
        health.require("models not loaded yet", lambda: rt._pipeline is not None)
    wait_for_models(rt)  # load the models now, not on the first job
    try:
        jobs.render_previews()
    except Exception as exc:
        log.warning("style previews could not be rendered: %s", exc)
    MojiWorker.heartbeat_ttl = settings.heartbeat_ttl
    level = logging.getLevelName(logging.getLogger().getEffectiveLevel())
    stop = threading.Event()
    threading.Thread(target=_reap_often, args=(rt.redis, settings.queue, stop), daemon=True,
                     name="moji-reaper").start()
    restarts = 0
    try:
        while True:
            # RQ's work loop quits on an error it does not expect, e.g. Redis going away in
            # the middle of a job: wait for Redis and work on, with a new worker registration
            # (the interrupted job is retried by `reap` once its heartbeat has run out)
            worker = MojiWorker([settings.queue], connection=rt.redis,
                                name=name if not restarts else None,
                                worker_ttl=max(30, settings.heartbeat_ttl * 3),
                                maintenance_interval=max(10, settings.heartbeat_ttl * 2))
            alive = threading.Event()
            threading.Thread(target=_announce, args=(rt.redis, worker.name, alive), daemon=True,
                             name="moji-alive").start()
            try:
                worker.work(burst=burst, max_jobs=max_jobs, logging_level=level)
            except Exception as exc:  # noqa: BLE001  (teardown itself failed without Redis)
                log.warning("worker %s stopped: %s", worker.name, exc)
            finally:
                alive.set()
                with contextlib.suppress(Exception):
                    rt.redis.delete(Keys.alive(worker.name))
            if burst or max_jobs is not None or _stopping(worker):
                break
            restarts += 1
            log.warning("the worker loop ended unexpectedly; waiting for Redis (restart %d)",
                        restarts)
            if not _wait_for_redis(rt.redis, stop_check=lambda w=worker: _stopping(w)):
                break
    finally:
        stop.set()
        rt.close()
        set_current(None)
    return 0


MODEL_POLL_S = float(os.environ.get("MOJI_MODEL_POLL_S", 5))


def wait_for_models(rt: Runtime, poll: float = MODEL_POLL_S) -> None:
    """Load the pipeline; while model files are missing, say so once (what, where, how to put
    them there) and look again every `poll` seconds, instead of exiting (a crash loop that
    prints the same error every few seconds). Meanwhile `Keys.models_missing` tells the bot,
    which answers selfies "not ready yet". Any other failure raises."""
    import sys

    from pipeline import models
    from pipeline.errors import MojiError

    told = False
    while True:
        missing = models.missing_models()
        if missing and not models.downloads_allowed():  # no use building the pipeline yet
            message = models.missing_message(missing)
        else:
            try:
                rt.pipeline  # noqa: B018
                break
            except MojiError as exc:
                if exc.code != "model_missing":
                    raise
                message = models.missing_message(missing) if missing else exc.message
                poll = max(poll, 30.0)  # a download failed: do not hammer the network
        if not told:
            told = True
            if os.environ.get("MOJI_MODELS_ANNOUNCED"):  # `moji run` said it once for all
                log.info("waiting for model files")
            else:
                print(f"moji worker: {message}", file=sys.stderr, flush=True)
        with contextlib.suppress(Exception):  # Redis away: the bot cannot ask anyway
            rt.redis.set(Keys.models_missing, message, ex=max(15, int(poll * 3)))
        time.sleep(poll)
    if told:
        print("moji worker: model files found; the worker starts.", file=sys.stderr, flush=True)
        with contextlib.suppress(Exception):
            rt.redis.delete(Keys.models_missing)


def _stopping(worker: MojiWorker) -> bool:
    """A SIGTERM/SIGINT asked the worker to stop (RQ notes when; idle, it stops at once)."""
    return bool(worker._stop_requested or worker._shutdown_requested_date)


def _wait_for_redis(connection: Any, stop_check: Any, patience: float = 3600.0) -> bool:
    """Ping Redis with growing pauses until it answers (True) or `patience` runs out."""

    deadline, pause = time.monotonic() + patience, 0.5
    while time.monotonic() < deadline:
        if stop_check():
            return False
        try:
            connection.ping()
            return True
        except Exception as exc:  # noqa: BLE001
            log.warning("Redis unreachable (%s): trying again in %.1f s", exc, pause)
        time.sleep(pause)
        pause = min(pause * 2, 10.0)
    return False


def _reap_often(connection: Any, queue_name: str, stop: threading.Event,
                every: float = 2.0) -> None:
    """Workers reap too (the bot does as well), so that retries go on while the bot is down."""
    while not stop.wait(every):
        try:
            reap(connection, queue_name)
        except Exception as exc:  # noqa: BLE001  (Redis restarting: the next round tries again)
            log.debug("reaping failed: %s", exc)


def _announce(connection: Any, name: str, stop: threading.Event, ttl: int = 5) -> None:
    """Keep `moji:alive:<worker>` set while this process lives (for /stats: RQ's own worker
    registry keeps a killed worker listed until its TTL runs out)."""
    while True:
        try:
            connection.set(Keys.alive(name), os.getpid(), ex=ttl)
        except Exception as exc:
            log.warning("could not announce the worker: %s", exc)
        if stop.wait(ttl / 3):
            return
