"""The bot's side of Redis: per-user styles, the sticker cache, rate limits, the queue, stats.

Plain synchronous functions (redis-py and RQ are synchronous); handlers call them through
`asyncio.to_thread` so that a slow Redis never stalls the event loop.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any

from rq import Queue, Retry
from rq.callbacks import Callback

from worker.config import Keys, Settings, redis_connection
from worker.jobs import StickerRequest


@dataclass
class Submission:
    """What became of a photo: answered from the cache, queued, rate-limited, or refused (busy)."""

    outcome: str  # "cached" | "queued" | "limited" | "busy"
    cached: dict[str, Any] | None = None
    job_id: str = ""
    ahead: int = 0  # jobs ahead of this one in the queue
    notify: bool = True  # limited: tell the user (only once per window)


class Store:
    """One Redis connection and the queue; everything the handlers keep outside the process."""

    def __init__(self, settings: Settings, connection: Any = None) -> None:
        self.settings = settings
        self.redis = connection or redis_connection(settings.redis_url)
        self.queue = Queue(settings.queue, connection=self.redis)
        # handlers run concurrently: one submission at a time keeps "queue full" exact
        self._submit_lock = threading.Lock()

    # --- styles -------------------------------------------------------------------------------
    def style_of(self, user_id: int, default: str) -> str:
        value = self.redis.get(Keys.style(user_id))
        return value.decode() if value else default

    def set_style(self, user_id: int, style: str) -> None:
        self.redis.set(Keys.style(user_id), style)

    # --- photos -------------------------------------------------------------------------------
    def submit(self, req: StickerRequest) -> Submission:
        """Answer from the cache, or rate-limit, or refuse when the queue is full, or enqueue."""
        with self._submit_lock:
            return self._submit(req)

    def _submit(self, req: StickerRequest) -> Submission:
        s = self.settings
        now = time.time()
        rate_key, member = Keys.rate(req.user_id), f"{now:.6f}:{req.chat_id}:{req.message_id}"
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.get(Keys.cache(req.file_unique_id, req.style))
            if s.rate_count:  # a sliding window: photos accepted in the last rate_period s
                pipe.zremrangebyscore(rate_key, 0, now - s.rate_period)
                pipe.zadd(rate_key, {member: now})
                pipe.zcard(rate_key)
                pipe.expire(rate_key, s.rate_period + 1)
            pipe.llen(self.queue.key)
            results = pipe.execute()
        cached, queued = results[0], results[-1]
        if s.rate_count and results[3] > s.rate_count:
            with self.redis.pipeline(transaction=False) as pipe:
                pipe.zrem(rate_key, member)  # refused photos do not count
                pipe.set(rate_key + ":told", 1, nx=True, ex=s.rate_period)
                pipe.hincrby(Keys.counters, "rate_limited", 1)
                _, told, _ = pipe.execute()
            return Submission("limited", notify=bool(told))
        if cached:
            return Submission("cached", cached=json.loads(cached))
        if queued >= s.max_queue:
            with self.redis.pipeline(transaction=False) as pipe:
                pipe.zrem(rate_key, member)
                pipe.hincrby(Keys.counters, "busy", 1)
                pipe.execute()
            return Submission("busy", ahead=queued)
        job = self.queue.enqueue(
            "worker.jobs.make_sticker", req.to_dict(),
            job_timeout=s.job_timeout, result_ttl=600, failure_ttl=7 * 24 * 3600,
            retry=Retry(max=s.job_retries) if s.job_retries > 0 else None,
            on_failure=Callback("worker.jobs.on_failure"),
            description=f"sticker chat={req.chat_id} msg={req.message_id} style={req.style}",
        )
        self.redis.hincrby(Keys.counters, "jobs", 1)
        return Submission("queued", job_id=job.id, ahead=queued)

    def record_cached(self, req: StickerRequest, entry: dict[str, Any]) -> None:
        """A cached sticker was sent again: it is now the user's last sticker, and counts."""
        from worker.jobs import record_sticker

        record_sticker(self.redis, req, entry["file_id"], entry.get("emoji", "🙂"),
                       self.settings.cache_ttl, cached=True)

    # --- sticker packs ------------------------------------------------------------------------
    def last_sticker(self, chat_id: int, user_id: int) -> dict[str, Any] | None:
        value = self.redis.get(Keys.last(chat_id, user_id))
        return json.loads(value) if value else None

    def sticker_set(self, chat_id: int) -> dict[str, Any] | None:
        value = self.redis.get(Keys.sticker_set(chat_id))
        return json.loads(value) if value else None

    def save_sticker_set(self, chat_id: int, name: str, owner: int) -> None:
        self.redis.set(Keys.sticker_set(chat_id), json.dumps({"name": name, "owner": owner}))

    def forget_sticker_set(self, chat_id: int) -> None:
        self.redis.delete(Keys.sticker_set(chat_id), Keys.sticker_set(chat_id) + ":files")

    def mark_in_set(self, chat_id: int, file_id: str) -> bool:
        """Remember that a sticker is in a chat's set; False when it already was."""
        return bool(self.redis.sadd(Keys.sticker_set(chat_id) + ":files", file_id))

    def unmark_in_set(self, chat_id: int, file_id: str) -> None:
        self.redis.srem(Keys.sticker_set(chat_id) + ":files", file_id)

    # --- previews -----------------------------------------------------------------------------
    def preview_png(self, style: str, fingerprint: str) -> bytes | None:
        """A sample sticker a worker rendered for a style (see worker.jobs.render_previews)."""
        png, stored = self.redis.hmget(Keys.preview(style), "png", "fingerprint")
        return png if png and stored and stored.decode() == fingerprint else None

    def cached_file_id(self, key: str) -> str | None:
        value = self.redis.get(f"moji:file:{key}")
        return value.decode() if value else None

    def cache_file_id(self, key: str, file_id: str) -> None:
        self.redis.set(f"moji:file:{key}", file_id, ex=self.settings.cache_ttl)

    # --- admin --------------------------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        """Queue length, workers, recent latency and failure counts, for /stats."""
        from rq import Worker
        from rq.registry import FailedJobRegistry, StartedJobRegistry

        registered = Worker.all(queue=self.queue)
        with self.redis.pipeline(transaction=False) as pipe:
            for worker in registered:
                pipe.exists(Keys.alive(worker.name))
            alive = pipe.execute()
        workers = [w for w, ok in zip(registered, alive, strict=True) if ok]
        latencies = sorted(float(x) for x in self.redis.lrange(Keys.latency, 0, 199))
        counters = {k.decode(): int(v) for k, v in self.redis.hgetall(Keys.counters).items()}

        def pct(p: float) -> float | None:
            if not latencies:
                return None
            return latencies[min(len(latencies) - 1, int(round(p / 100 * (len(latencies) - 1))))]

        return {
            "queued": self.queue.count,
            "running": StartedJobRegistry(queue=self.queue).get_job_count(cleanup=False),
            "failed_registry": FailedJobRegistry(queue=self.queue).get_job_count(cleanup=False),
            "workers": len(workers),
            "silent_workers": len(registered) - len(workers),
            "busy_workers": sum(1 for w in workers if w.get_state() == "busy"),
            "latency_ms": {"n": len(latencies), "p50": pct(50), "p95": pct(95), "p99": pct(99)},
            "counters": counters,
        }
