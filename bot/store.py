"""The bot's side of Redis: styles, identities, the sticker cache, rate limits, the queue, stats.

Plain synchronous functions (redis-py and RQ are synchronous); handlers call them through
`asyncio.to_thread` so that a slow Redis never stalls the event loop.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from redis.exceptions import RedisError
from rq import Queue, Retry
from rq.callbacks import Callback
from rq.worker_registration import WORKERS_BY_QUEUE_KEY

from worker import identity
from worker.config import Keys, Settings, redis_connection, replica_wait_ms, wait_for_replica
from worker.jobs import INLINE_MAX, IdentityRequest, StickerRequest
from worker.packs import PackRequest

log = logging.getLogger(__name__)


class MaybeQueued(RedisError):
    """Redis failed after the photo's job may have been queued (e.g. its primary died during a
    failover): whether the job exists is unknown. The handler then answers through
    Store.claim_notice, so that the photo gets the job's answer or the notice, never both."""


# The notice "send it again" takes the photo's answer, unless a worker holds or has given it:
# the delivery claim as "sent:" (a worker that finds it counts the photo answered) and the done
# mark (a job that starts later finds it and sends nothing; on_failure does not tell again).
_CLAIM_NOTICE = """
if redis.call('EXISTS', KEYS[2]) == 1 then
  return 0
end
if redis.call('SET', KEYS[1], 'sent:notice', 'NX', 'EX', ARGV[1]) then
  redis.call('SET', KEYS[2], 'told', 'EX', ARGV[1])
  return 1
end
return 0
"""


@dataclass
class Submission:
    """What became of a photo: answered from the cache, queued, rate-limited, or refused (busy)."""

    # "cached" | "queued" | "limited" | "busy" | "running" (a pack in the making) | "not_ready"
    # (the workers wait for their model files)
    outcome: str
    cached: dict[str, Any] | None = None
    job_id: str = ""
    ahead: int = 0  # jobs ahead of this one in the queue
    notify: bool = True  # limited: tell the user (only once per window)


def retry_intervals(settings: Settings) -> list[int]:
    """The wait before each retry: the first retry waits retry_delays[0], and so on (RQ reads
    the list from its end as retries run out, so it is exactly job_retries long)."""
    delays = settings.retry_delays or (0,)
    return [delays[min(i, len(delays) - 1)] for i in range(settings.job_retries)]


class Store:
    """One Redis connection and the queue; everything the handlers keep outside the process."""

    def __init__(self, settings: Settings, connection: Any = None) -> None:
        self.settings = settings
        self.redis = connection or redis_connection(settings.redis_url)
        self.queue = Queue(settings.queue, connection=self.redis)
        # handlers run concurrently: one submission at a time keeps "queue full" exact
        self._submit_lock = threading.Lock()
        # every /language choice, mirrored from Redis (load_languages): the language of each
        # update is then known without a round trip. The bot is their only writer.
        self._languages: dict[int, str] = {}

    # --- styles -------------------------------------------------------------------------------
    def style_of(self, user_id: int, default: str) -> str:
        value = self.redis.get(Keys.style(user_id))
        return value.decode() if value else default

    def set_style(self, user_id: int, style: str) -> None:
        self.redis.set(Keys.style(user_id), style)

    # --- language -----------------------------------------------------------------------------
    def load_languages(self) -> int:
        """Read every /language choice from Redis (at start-up); returns how many."""
        self._languages = {int(user): language.decode() for user, language in
                           self.redis.hgetall(Keys.languages).items()}
        return len(self._languages)

    def language_of(self, user_id: int) -> str | None:
        """The language the person chose with /language; None: none chosen. No I/O."""
        return self._languages.get(user_id)

    def set_language(self, user_id: int, language: str) -> None:
        self.redis.hset(Keys.languages, str(user_id), language)
        self._languages[user_id] = language

    # --- inline mode --------------------------------------------------------------------------
    def inline_stickers(self, user_id: int) -> list[dict[str, Any]]:
        """The person's stickers for inline mode, newest first (worker.jobs.record_sticker)."""
        stickers = []
        for raw in self.redis.lrange(Keys.inline(user_id), 0, INLINE_MAX - 1):
            try:
                entry = json.loads(raw)
            except ValueError:
                continue
            if isinstance(entry, dict) and entry.get("file_id"):
                stickers.append(entry)
        return stickers

    # --- photos -------------------------------------------------------------------------------
    def submit(self, req: StickerRequest, album: str | None = None) -> Submission:
        """Answer from the cache, or rate-limit, or refuse when the queue is full, or enqueue.
        `album`: the message's media_group_id; the photos of one album count as one request
        against the rate limit (an album of 7 is one thing the person did)."""
        from worker.metrics import SUBMISSIONS

        with self._submit_lock:
            result = self._submit(req, album)
        SUBMISSIONS.labels(result.outcome).inc()
        return result

    def _submit(self, req: StickerRequest, album: str | None = None) -> Submission:
        now = time.time()
        # an album's photos share one member of the window: the album counts once
        member = (f"album:{req.chat_id}:{album}" if album
                  else f"{now:.6f}:{req.chat_id}:{req.message_id}")
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.get(Keys.cache(req.file_unique_id, req.answer_style))
            pipe.get(Keys.identity(req.user_id))
            count = self._count(pipe, req.user_id, member, now)
            pipe.exists(Keys.models_missing)
            pipe.scard(WORKERS_BY_QUEUE_KEY % self.queue.name)
            pipe.llen(self.queue.key)
            results = pipe.execute()
        cached, kept, queued = results[0], results[1], results[-1]
        if results[-3] and not results[-2]:  # workers wait for model files, none works
            if count(results) is not None:
                self.redis.zrem(Keys.rate(req.user_id), member)
            self.redis.hincrby(Keys.counters, "not_ready", 1)
            return Submission("not_ready")
        refused = self._refusal(req.user_id, member, count(results), queued=None)
        if refused:
            return refused
        if cached:
            entry = json.loads(cached)
            if identity.cache_entry_usable(entry, req.personal, req.user_id,
                                           identity.Identity.from_json(kept)):
                return Submission("cached", cached=entry)
        refused = self._refusal(req.user_id, member, None, queued=queued)
        if refused:
            return refused
        try:
            submission = self._enqueue(req.user_id, "worker.jobs.make_sticker", req.to_dict(),
                                       queued, f"sticker chat={req.chat_id} "
                                       f"msg={req.message_id} style={req.answer_style}")
            # an edit of this message tells a new caption from a new photo by this
            seen = Keys.seen(req.chat_id, req.message_id)
            with self.redis.pipeline(transaction=False) as pipe:
                pipe.set(seen, req.file_unique_id, ex=2 * 24 * 3600)
                if req.chat_type == "private":  # a key named after the person: /forget drops it
                    identity.remember_keys(pipe, req.user_id, [seen], self.settings.cache_ttl)
                pipe.execute()
        except MaybeQueued:
            raise
        except RedisError as exc:  # after the enqueue was sent: the job may exist
            raise MaybeQueued(str(exc)) from exc
        return submission

    def claim_notice(self, req: StickerRequest, patience: float = 30.0) -> bool:
        """Take the photo's answer for the "send it again" notice, unless a worker has it
        (True: send the notice; False: the job answers). Waits up to `patience` seconds for
        Redis (a failover takes a few) and raises RedisError when it stays away."""
        from worker.jobs import _with_redis

        keys = (Keys.delivery(req.chat_id, req.message_id, req.answer_style),
                Keys.done(req.chat_id, req.message_id, req.answer_style))
        return bool(_with_redis(self.redis.eval, _CLAIM_NOTICE, 2, *keys, 24 * 3600,
                                patience=patience))

    def edited_photo(self, chat_id: int, message_id: int, file_unique_id: str) -> str:
        """An edited message with an image: "same" (only its caption changed, or it was never
        queued) or "replaced" (another image than the one queued)."""
        seen = self.redis.get(Keys.seen(chat_id, message_id))
        return "replaced" if seen and seen.decode() != file_unique_id else "same"

    def submit_identity(self, req: IdentityRequest) -> Submission:
        """Queue an identity sticker (/me, a corrected trait): rate-limited like photos."""
        with self._submit_lock:
            refused, queued = self._admit(req.user_id, req.chat_id, "me")
            if refused:
                return refused
            return self._enqueue(req.user_id, "worker.jobs.identity_sticker", req.to_dict(),
                                 queued, f"identity chat={req.chat_id} style={req.style}")

    def submit_pack(self, req: PackRequest, title: str) -> Submission:
        """Queue a person's pack (worker.packs): one at a time per person ("running" while
        one is being made), rate-limited like photos. `title` names a new set."""
        from worker import packs

        with self._submit_lock:
            pending = packs.pending_key(req.user_id)
            if not self.redis.set(pending, json.dumps({"title": title}, ensure_ascii=False),
                                  nx=True, ex=packs.PENDING_TTL):
                return Submission("running")
            refused, queued = self._admit(req.user_id, req.chat_id, "pack")
            if refused:
                self.redis.delete(pending)
                return refused
            return self._enqueue(req.user_id, "worker.jobs.build_pack", req.to_dict(),
                                 queued, f"pack user={req.user_id} style={req.style}")

    def _admit(self, user_id: int, chat_id: int, kind: str) -> tuple[Submission | None, int]:
        """Count a request (/me, /pack) in the person's rate window: (its refusal, if it is
        refused; the queue's length)."""
        now = time.time()
        member = f"{now:.6f}:{chat_id}:{kind}"
        with self.redis.pipeline(transaction=False) as pipe:
            count = self._count(pipe, user_id, member, now)
            pipe.llen(self.queue.key)
            results = pipe.execute()
        return self._refusal(user_id, member, count(results), queued=results[-1]), results[-1]

    def _count(self, pipe: Any, user_id: int, member: str, now: float) -> Any:
        """Add a request to the person's sliding window (photos accepted in the last
        rate_period s); returns how to read the window's size from the pipeline's results."""
        s = self.settings
        if not s.rate_count:
            return lambda results: None
        rate_key = Keys.rate(user_id)
        start = len(pipe.command_stack)
        pipe.zremrangebyscore(rate_key, 0, now - s.rate_period)
        pipe.zadd(rate_key, {member: now})
        pipe.zcard(rate_key)
        pipe.expire(rate_key, s.rate_period + 1)
        return lambda results: results[start + 2]

    def _refusal(self, user_id: int, member: str, in_window: int | None,
                 queued: int | None) -> Submission | None:
        """"limited" when the window is over the limit, "busy" when the queue is full, else
        None. A refused request does not count against the person."""
        s = self.settings
        rate_key = Keys.rate(user_id)
        if in_window is not None and s.rate_count and in_window > s.rate_count:
            with self.redis.pipeline(transaction=False) as pipe:
                pipe.zrem(rate_key, member)
                pipe.set(rate_key + ":told", 1, nx=True, ex=s.rate_period)
                pipe.hincrby(Keys.counters, "rate_limited", 1)
                _, told, _ = pipe.execute()
            return Submission("limited", notify=bool(told))
        if queued is not None and queued >= s.max_queue:
            with self.redis.pipeline(transaction=False) as pipe:
                pipe.zrem(rate_key, member)
                pipe.hincrby(Keys.counters, "busy", 1)
                pipe.execute()
            return Submission("busy", ahead=queued)
        return None

    def _enqueue(self, user_id: int, function: str, payload: dict[str, Any], queued: int,
                 description: str) -> Submission:
        s = self.settings
        job = self.queue.enqueue(
            function, payload,
            job_timeout=s.job_timeout, result_ttl=600, failure_ttl=7 * 24 * 3600,
            # retried later, not at once: a Bot API outage or a Redis restart has time to end
            # (the delayed retries are queued again by worker.runtime.reap)
            retry=(Retry(max=s.job_retries, interval=retry_intervals(s))
                   if s.job_retries > 0 else None),
            on_failure=Callback("worker.jobs.on_failure"),
            description=description,
        )
        wait_ms = replica_wait_ms(s.redis_url)
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.hincrby(Keys.counters, "jobs", 1)
            # the job's record holds the person's ids (and a photo's file_id): /forget drops it
            identity.remember_keys(pipe, user_id, [f"job:{job.id}"], s.cache_ttl)
            # with Sentinel: the job reaches a replica before the person hears "queued", so a
            # failover now does not lose an accepted photo (worker.config.wait_for_replica)
            wait_for_replica(pipe, wait_ms)
            results = pipe.execute()
        if wait_ms and results[-1] < 1:
            log.warning("job %s: no replica acknowledged it within %d ms", job.id, wait_ms)
        return Submission("queued", job_id=job.id, ahead=queued)

    def record_cached(self, req: StickerRequest, entry: dict[str, Any]) -> None:
        """A cached sticker was sent again: it is now the user's last sticker, and counts."""
        from worker.jobs import record_sticker

        record_sticker(self.redis, req, entry["file_id"], entry.get("emoji", "🙂"),
                       self.settings.cache_ttl, cached=True, identity_tag=entry.get("identity"),
                       keywords=entry.get("keywords"),
                       sticker_format=entry.get("format", "static"))

    def models_missing(self) -> str | None:
        """What the workers wait for (model files), or None: they have what they need."""
        value = self.redis.get(Keys.models_missing)
        return value.decode() if value else None

    # --- identity -----------------------------------------------------------------------------
    def identity_of(self, user_id: int) -> identity.Identity | None:
        return identity.load(self.redis, user_id)

    def set_trait(self, user_id: int, code: str, value: str,
                  expected_version: int) -> identity.Change:
        return identity.set_trait(self.redis, user_id, code, value, expected_version)

    def request_retake(self, user_id: int, expected_version: int) -> identity.Change:
        return identity.request_retake(self.redis, user_id, expected_version)

    def use_offer(self, user_id: int, offer: str) -> identity.Change:
        """"This is me: update my look" (worker.identity.use_offer)."""
        return identity.use_offer(self.redis, user_id, offer)

    def forget(self, user_id: int) -> dict[str, int]:
        """Delete everything kept about a person (worker.identity.forget)."""
        deleted = identity.forget(self.redis, user_id)
        self._languages.pop(user_id, None)
        return deleted

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
