"""RQ job functions. Each takes a small payload dict (ids and names: no image bytes, no token).

`make_sticker` downloads the photo with getFile, renders it with the process's one pipeline, and
sends the sticker as a reply; a clip (a video note, a video, a GIF) becomes a video sticker
(WEBM) the same way, with the same delivery guarantees. In a private chat the person's identity
(worker.identity) is drawn and only the expression comes from the photo or clip; their first
selfie (a photo: a clip's small frames are no measure of a look) sets that identity. Group
photos are measured on their own: the face may be anyone's; so is every face of a sticker of
everyone in a photo (`/emoji all`, pipeline.Pipeline.render_all). `identity_sticker` draws the
identity with a neutral expression, for /me, with its correction buttons. Problems a person can
fix (no face, not an image) are answered with a message and end the job normally; anything else
raises, RQ retries it, and when retries run out `on_failure` tells the person. This module
imports nothing heavy: the bot imports it too.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing_extensions import Self

from . import i18n
from .config import Keys
from .i18n import N_, _

log = logging.getLogger(__name__)

# What a person reads when a job ends without a sticker, keyed by MojiError code: English
# source texts, translated where they are sent (worker.i18n; the payload carries the language).
USER_MESSAGES = {
    "no_face": N_("I couldn't find a face in that photo. Try a clear, front-facing selfie with "
                  "your whole face in the picture."),
    "bad_image": N_("That file isn't an image I can read. Send a photo (JPEG, PNG or WEBP)."),
    "too_small": N_("That image is too small to hold a face. Send a bigger photo."),
    "heic": N_("I can't read HEIC photos. Send it as a photo (not as a file), or as a JPEG or "
               "PNG file."),
    "too_large": N_("That image is too large for me. Send a smaller photo."),
    "unknown_style": N_("That art style is no longer available. Pick another with /style."),
    "file_too_big": N_("That file is too big: bots can download files up to 20 MB. Send a "
                       "smaller photo."),
    "failed": N_("Sorry, something went wrong while making your sticker. Please send the photo "
                 "again in a moment."),
    "lost": N_("Sorry, the worker making your sticker stopped before it was done. Please send "
               "the photo again."),
    "no_identity": N_("I don't know your look yet: send me a selfie first."),
    "bad_likeness": N_("Your saved look could not be drawn. Tap \"Take my look from my next "
                       "photo\" in /me, or /forget and send a new selfie."),
}
# too_large with the photo's numbers (pipeline.decode: a JPEG up to MOJI_MAX_PIXELS, 120 MP; a
# PNG up to about 50 MP, a WEBP 25 MP, held by the decode memory budget)
TOO_LARGE_SIZE = N_("That photo is {megapixels} megapixels ({size} pixels), and I take photos of "
                    "up to {limit} megapixels of its kind. Send a smaller photo, or send it as "
                    "a photo rather than a file.")
# What a person is told when a job without a photo ran out of retries: their /pack or /me.
FAILED_REQUEST_MESSAGES = {
    "build_pack": N_("Sorry, I couldn't finish your pack just now. Please send /pack again in "
                     "a minute."),
    "identity_sticker": N_("Sorry, I couldn't draw your look just now. Please send /me again in "
                           "a minute."),
}
# The same answers for a clip (a video note, a video, a GIF), where they differ.
CLIP_MESSAGES = {
    "no_face": N_("I couldn't find a face in that video. Try a clip with your whole face in "
                  "the picture, facing the camera."),
    "bad_image": N_("I can't read that video. Send a video note, a video or a GIF."),
    "too_large": N_("That video is too big: bots can download files up to 20 MB. Send a "
                    "shorter one."),
    "file_too_big": N_("That video is too big: bots can download files up to 20 MB. Send a "
                       "shorter one."),
    "failed": N_("Sorry, something went wrong while making your animated sticker. Please send "
                 "the video again in a moment."),
    "lost": N_("Sorry, the worker making your sticker stopped before it was done. Please send "
               "the video again."),
}


def user_message(code: str, media: str = "photo") -> str | None:
    """The English text a person reads for an error code (translate it with `_`), for a photo
    or a clip; None for a code without one."""
    return (media == "clip" and CLIP_MESSAGES.get(code)) or USER_MESSAGES.get(code)

INLINE_MAX = 200  # stickers kept per person for inline mode (an answer shows at most 50)

# The sticker's emoji, from the matched mouth (and eyes) tags.
_MOUTH_EMOJI = {"neutral": "😐", "smile": "🙂", "grin": "😁", "open": "😮", "frown": "🙁",
                "smirk": "😏", "tongue": "😛", "kiss": "😗"}


class Payload:
    """A job's payload dataclass: plain fields to and from the dict RQ stores. Unknown keys are
    ignored, so a job queued by an older bot still runs."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class StickerRequest(Payload):
    """One photo to turn into a sticker: where it is, who asked, and in which style."""

    chat_id: int
    user_id: int
    message_id: int  # the photo's message: the sticker replies to it
    file_id: str
    file_unique_id: str
    style: str
    chat_type: str = "private"
    received_at: float = 0.0  # when the bot received the update (epoch seconds), for latency
    language: str = i18n.DEFAULT  # the person's language (worker.i18n): what to answer in
    media: str = "photo"  # "photo" | "clip" (a video note, video or GIF: a video sticker)
    all_faces: bool = False  # /emoji all: one sticker of everyone in the photo

    @property
    def personal(self) -> bool:
        """A sticker of the person who asked, drawn with their identity: one face of a photo
        sent in a private chat. A group photo's faces may be anyone's."""
        return self.chat_type == "private" and not self.all_faces

    @property
    def answer_style(self) -> str:
        """What the keys of this photo's answer (cache, delivery, done) are named after."""
        return answer_style(self.style, self.all_faces)


def answer_style(style: str, all_faces: bool) -> str:
    """The style, marked for a sticker of everyone in a photo: another answer to the same photo
    than its one-face sticker, cached and delivered on its own."""
    return f"{style}+all" if all_faces else style


@dataclass
class IdentityRequest(Payload):
    """Draw a person's identity sticker (for /me) and send it with its correction buttons."""

    chat_id: int
    user_id: int
    style: str
    received_at: float = 0.0
    language: str = i18n.DEFAULT


def emoji_for(tags: dict[str, list[str]]) -> str:
    """An emoji for a sticker from its parts' tags, e.g. {"mouth": ["grin"], "eyes": ["open"]}."""
    mouth = (tags.get("mouth") or ["neutral"])[0]
    eyes = (tags.get("eyes") or ["open"])[0]
    if eyes == "wink":
        return "😉"
    if eyes == "closed" and mouth in ("neutral", "smile"):
        return "😌"
    return _MOUTH_EMOJI.get(mouth, "🙂")


def keywords_for(tags: dict[str, list[str]]) -> list[str]:
    """A sticker's words for inline search: its expression tags (mouth, eyes, brows), e.g.
    ["grin", "wink", "raised"]. Face shapes are left out: nobody looks for "oval"."""
    words: list[str] = []
    for kind in ("mouth", "eyes", "brows"):
        for tag in tags.get(kind) or []:
            if tag not in words:
                words.append(tag)
    return words


def clip_tags(frames: list[dict[str, Any]]) -> dict[str, list[str]]:
    """A clip's tags per part kind, {kind: [main tag of its parts, the most shown first]}: its
    emoji is that of the expression it shows most, and inline search finds it by every
    expression it shows."""
    counts: dict[str, Counter] = {}
    for frame in frames:
        for kind, match in frame.items():
            counts.setdefault(kind, Counter()).update(match.tags[:1])
    return {kind: [tag for tag, _n in count.most_common()] for kind, count in counts.items()}


def inline_entry(file_id: str, emoji: str, keywords: list[str]) -> str:
    """One element of a person's inline list: the same sticker always gives the same string,
    so that LREM can drop its older copy."""
    return json.dumps({"file_id": file_id, "emoji": emoji, "keywords": list(keywords)},
                      sort_keys=True, ensure_ascii=False)


def record_sticker(redis: Any, req: StickerRequest, file_id: str, emoji: str,
                   cache_ttl: int, cached: bool = False, identity_tag: str | None = None,
                   keywords: list[str] | None = None, sticker_format: str = "static") -> None:
    """Remember a sent sticker: the repeat cache, the user's last sticker (for /pack), their
    inline list (personal stickers only: those are of them), stats. `sticker_format` ("static"
    or "video") is kept with it: a sticker set takes each sticker with its format.

    `identity_tag` (worker.identity.cache_tag) stamps a sticker drawn with a person's identity,
    so that the cache serves it only to them and only while that identity is current. Every key
    written is noted in the person's index, for /forget.
    """
    from .identity import remember_keys

    entry: dict[str, Any] = {"file_id": file_id, "emoji": emoji, "style": req.style}
    if identity_tag:
        entry["identity"] = identity_tag
    if keywords:
        entry["keywords"] = list(keywords)
    if sticker_format != "static":
        entry["format"] = sticker_format
    written = [Keys.last(req.chat_id, req.user_id)]
    with redis.pipeline(transaction=False) as pipe:
        if not cached:
            pipe.set(Keys.cache(req.file_unique_id, req.answer_style), json.dumps(entry),
                     ex=cache_ttl)
            written.append(Keys.cache(req.file_unique_id, req.answer_style))
        pipe.set(Keys.last(req.chat_id, req.user_id), json.dumps(entry), ex=cache_ttl)
        if req.personal:  # newest first, each sticker once, capped
            item, key = inline_entry(file_id, emoji, keywords or []), Keys.inline(req.user_id)
            pipe.lrem(key, 0, item)
            pipe.lpush(key, item)
            pipe.ltrim(key, 0, INLINE_MAX - 1)
            pipe.expire(key, cache_ttl)
        remember_keys(pipe, req.user_id, written, cache_ttl)
        pipe.hincrby(Keys.counters, "cached" if cached else "stickers", 1)
        if req.received_at:
            pipe.lpush(Keys.latency, round((time.time() - req.received_at) * 1000, 1))
            pipe.ltrim(Keys.latency, 0, 999)
        pipe.execute()


def _look_chooser(rt: Any, req: StickerRequest, observed: list[Any]) -> Any:
    """Pipeline.render's choose_look for a private photo: its measured look meets the person's
    identity (worker.identity.observe: the first selfie sets it, the next two refine it, a
    clearly different look is drawn as measured); `observed` receives the Observation."""
    from . import identity

    def choose(measured: Any, face_part: str, colour: bool) -> tuple[Any, str | None]:
        seen = identity.observe(rt.redis, req.user_id, measured, face_part,
                                req.file_unique_id, colour)
        observed.append(seen)
        return seen.likeness, seen.face

    return choose


def _observed_answer(req: StickerRequest, seen: Any) -> tuple[str, int | None, Any, Any]:
    """(cache stamp, version established or None, reply markup or None, identity used or None)
    for a private photo. A photo drawn with its own look is stamped so that the cache never
    serves it (a repeat is measured, and offered, again)."""
    from . import identity

    kept = seen.identity
    if seen.status == "differs":
        return (identity.cache_tag(req.user_id, kept.version) + ":other", None,
                identity.offer_keyboard(kept, seen.offer), None)
    stamp = identity.cache_tag(req.user_id, kept.version)
    established = kept.version if seen.status == "established" else None
    return stamp, established, None, (None if established else kept)


def make_sticker(payload: dict[str, Any]) -> dict[str, Any]:
    """Job: photo (by file_id) -> sticker sent as a reply; a clip (`media` "clip") -> a video
    sticker (WEBM), drawn with the same identity. Returns a small summary.

    Each photo gets one answer: a sticker, or one message. The answer is claimed in Redis
    before it is sent (Keys.delivery) and marked done right after (Keys.done), so a retry of
    a job whose answer went out sends nothing. Passing trouble (the Bot API down, a 5xx, a 429,
    Redis restarting) raises: RQ retries the job later and nobody is told until no retry is
    left (on_failure). A refusal that will not change (a 400) is answered at once, once.
    """
    from pipeline.errors import MojiError

    from . import identity, packs, runtime
    from .botapi import BotAPIError
    from .stickers import to_webp

    req = StickerRequest.from_dict(payload)
    i18n.use(req.language)
    rt = runtime.current()
    done_key = Keys.done(req.chat_id, req.message_id, req.answer_style)
    if _with_redis(rt.redis.exists, done_key):  # a retry of a job that was answered already
        return {"ok": True, "duplicate": True}
    t0 = time.perf_counter()
    stages: dict[str, float] = {}

    def lap(stage: str) -> None:
        nonlocal t0
        now = time.perf_counter()
        stages[stage] = round((now - t0) * 1000, 2)
        t0 = now

    try:
        info = rt.bot.call("getFile", {"file_id": req.file_id})
        lap("get_file")
        data = rt.bot.download(info["file_path"])
        lap("download")
        # a private selfie is the person's own face: draw their kept identity, if any
        kept = identity.load(rt.redis, req.user_id) if req.personal else None
        use = kept if kept is not None and not kept.retake else None
        look = {"likeness": use.to_likeness(), "face_part": use.face} if use else {}
        observed: list[Any] = []  # a private photo: what its look did (identity.observe)
        if req.personal and req.media == "photo" and not (
                use is not None and use.settled and rt.settings.look_check == "first"):
            look = {"choose_look": _look_chooser(rt, req, observed)}
        if req.media == "clip":
            clip = rt.pipeline.render_clip(data, style=req.style, **look)
            matches, likeness, timings = clip.frames[0], clip.likeness, clip.timings_ms
            tags = clip_tags(clip.frames)
            upload = ("sticker.webm", clip.webm, "video/webm")
        else:  # /emoji all: everyone measured from the photo, nobody's identity touched
            sticker = (rt.pipeline.render_all(data, style=req.style) if req.all_faces
                       else rt.pipeline.render(data, style=req.style, **look))
            matches, likeness, timings = sticker.matches, sticker.likeness, sticker.timings_ms
            tags = {kind: list(m.tags) for kind, m in sticker.matches.items()}
        lap("render")
    except BotAPIError as exc:
        if exc.method == "getFile" and exc.code == 400 and "too big" in exc.description.lower():
            return _answer_error(rt, req, "file_too_big")
        if transient(exc):
            _defer(exc)
            raise
        log.warning("chat %s: %s refused for good: %s", req.chat_id, exc.method, exc)
        return _answer_error(rt, req, "failed")
    except MojiError as exc:
        return _answer_error(rt, req, exc.code, exc.message, getattr(exc, "params", None))
    stamp, established, markup = None, None, None
    if observed:  # a private photo: drawn with the identity it refined, or with its own look
        stamp, established, markup, use = _observed_answer(req, observed[0])
    elif use is not None:  # a private clip (or MOJI_LOOK_CHECK=first): the kept identity
        stamp = identity.cache_tag(req.user_id, use.version)
    emoji = emoji_for(tags)
    if req.media == "photo":
        upload = ("sticker.webp", to_webp(sticker.png), "image/webp")
        lap("webp")
    token = _claim_delivery(rt, req)
    if token is None:
        return {"ok": True, "duplicate": True}
    try:
        message = rt.bot.call(
            "sendSticker",
            {"chat_id": req.chat_id, "emoji": emoji,
             "reply_parameters": {"message_id": req.message_id,
                                  "allow_sending_without_reply": True},
             # under a person's first sticker: the button that makes their whole pack; under
             # a photo drawn with its own look: "This is me: update my look"
             "reply_markup": markup or (packs.pack_button() if established else None)},
            files={"sticker": upload},
            before_last_byte=lambda: _hand_over(rt, req, token),
        )
    except DeliveryTaken:
        return {"ok": True, "duplicate": True}
    except BotAPIError as exc:
        if exc.code == 403:  # the person blocked the bot, or it left the group: nobody to tell
            _mark_done(rt, req, "forbidden")
            rt.redis.hincrby(Keys.counters, "undeliverable", 1)
            return {"ok": False, "error": "forbidden"}
        if _not_sent(exc):  # the sticker was not sent: the claim is void
            _release_delivery(rt, req)
        if transient(exc):
            _defer(exc)
            raise
        log.warning("chat %s: sendSticker refused for good: %s", req.chat_id, exc)
        return _answer_error(rt, req, "failed")
    lap("send")
    file_id = message["sticker"]["file_id"]
    _mark_done(rt, req, "sticker")  # first, and until Redis takes it: it stops a second send
    sticker_format = "video" if req.media == "clip" else "static"
    _with_redis(record_sticker, rt.redis, req, file_id, emoji, rt.settings.cache_ttl,
                identity_tag=stamp, keywords=keywords_for(tags), sticker_format=sticker_format)
    lap("record")
    # a selfie sticker joins the person's pack (worker.packs); another person's look does not
    if req.personal and (not observed or observed[0].drawn_with_identity):
        packs.add_photo_sticker(rt, req.user_id, req.chat_id, file_id, emoji, keywords_for(tags),
                                sticker_format)
        lap("pack")
    face = matches.get("face")
    summary = {"ok": True, "file_id": file_id, "emoji": emoji, "parts": tags,
               "media": req.media, "likeness": likeness.to_dict(),
               "face": face.part_id if face else None,
               "identity": {"used": use.version if use else None, "established": established,
                            "look": observed[0].status if observed else None},
               "stages_ms": stages, "timings_ms": timings}
    if req.media == "clip":
        summary.update(frames=len(clip.frames), duration=round(clip.duration, 3),
                       bytes=len(clip.webm))
    if req.all_faces and req.media == "photo":  # the first person's above, everyone's here
        summary["people"] = [person.to_dict() for person in sticker.people]
    return summary


# --- delivery: one answer per photo ---------------------------------------------------------

REDIS_PATIENCE_S = 180.0  # how long a job waits for Redis to come back before it gives up
CLAIM_WAIT_S = 10.0  # how long a retry waits for another execution's answer to be marked done


def transient(exc: Exception) -> bool:
    """A Bot API failure that a later try may not meet: unreachable, 5xx, 429."""
    code = getattr(exc, "code", None)
    return code is not None and (code == 0 or code == 429 or code >= 500)


def _with_redis(fn: Any, *args: Any, patience: float = REDIS_PATIENCE_S, **kwargs: Any) -> Any:
    """fn(*args, **kwargs), tried again with growing pauses while Redis cannot be reached (a
    restart): a sticker that was sent must get its done mark, or a retry would send it again."""
    import redis

    deadline, pause = time.monotonic() + patience, 0.2
    while True:
        try:
            return fn(*args, **kwargs)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            if time.monotonic() + pause > deadline:
                raise
            log.warning("Redis unreachable (%s): trying again in %.1f s", exc, pause)
            time.sleep(pause)
            pause = min(pause * 2, 5.0)


def _execution_token() -> str:
    """This execution's claim token: the job, its try, and a nonce (two tries never share one)."""
    from rq import get_current_job

    job = get_current_job()
    where = f"{job.id}:{job.retries_left}" if job is not None else "local"
    return f"{where}:{uuid.uuid4().hex[:12]}"


class DeliveryTaken(Exception):
    """Another execution has taken this photo's answer over: this one must not send it."""


# Compare and set: the claim becomes ARGV[3] only while it is ARGV[1] or ARGV[2], or missing
# while the photo is not done (KEYS[2]): a claim that vanished was lost with a Redis primary
# that died before its replica had it (a failover); no other execution holds it (one would
# have set its own token), so this one may hold it again.
_SWAP_CLAIM = """
if redis.call('EXISTS', KEYS[2]) == 1 then
  return 0
end
local held = redis.call('GET', KEYS[1])
if held == false or held == ARGV[1] or held == ARGV[2] then
  redis.call('SET', KEYS[1], ARGV[3], 'EX', ARGV[4])
  return 1
end
return 0
"""
CLAIM_TTL_S = 24 * 3600
SENT = "sent:"  # a claim whose answer may have reached Telegram


def _swap_claim(rt: Any, req: StickerRequest, expected: tuple[str, str], new: str,
                patience: float = REDIS_PATIENCE_S, replicate: bool = False) -> bool:
    """Compare and set the photo's delivery claim (_SWAP_CLAIM). With `replicate`, wait for a
    replica to have the new claim before going on (worker.config.wait_for_replica)."""
    from .config import replica_wait_ms, wait_for_replica

    key = Keys.delivery(req.chat_id, req.message_id, req.answer_style)
    done_key = Keys.done(req.chat_id, req.message_id, req.answer_style)
    wait_ms = replica_wait_ms(rt.settings.redis_url) if replicate else 0

    def swap() -> Any:
        with rt.redis.pipeline(transaction=False) as pipe:
            pipe.eval(_SWAP_CLAIM, 2, key, done_key, *expected, new, CLAIM_TTL_S)
            wait_for_replica(pipe, wait_ms)
            results = pipe.execute()
        if wait_ms and results[0] and results[-1] < 1:
            log.warning("chat %s message %s: no replica acknowledged the delivery claim within "
                        "%d ms", req.chat_id, req.message_id, wait_ms)
        return results[0]

    return bool(_with_redis(swap, patience=patience))


def _claim_delivery(rt: Any, req: StickerRequest) -> str | None:
    """Claim the right to answer this photo (SET NX): the claim's token, or None when it was
    answered already.

    The claim holds the execution's token until just before the answer's last byte goes out,
    when `_hand_over` makes it "sent:<token>". A claim an earlier execution left without a done
    mark (its worker was killed, or lost Redis) says how far it got; after a short wait for the
    done mark (the earlier execution may still be finishing):
    - "sent:...": it stopped after Telegram could act on the answer, which was most likely
      delivered: the photo counts as answered and nothing is sent again (no second sticker,
      and no "send it again" that a delivered sticker would contradict);
    - a bare token: it stopped before Telegram had the whole answer (killed before or during
      the upload), so nothing reached the person: this execution takes the claim over and
      answers. Should the earlier one ever go on, its hand-over finds the claim taken and it
      sends nothing."""
    key = Keys.delivery(req.chat_id, req.message_id, req.answer_style)
    done_key = Keys.done(req.chat_id, req.message_id, req.answer_style)
    token = _execution_token()
    deadline = time.monotonic() + CLAIM_WAIT_S
    while True:
        if _with_redis(rt.redis.exists, done_key):
            return None
        if _with_redis(rt.redis.set, key, token, nx=True, ex=CLAIM_TTL_S):
            return token
        if time.monotonic() > deadline:
            held = _with_redis(rt.redis.get, key)
            held = held.decode() if isinstance(held, bytes) else held
            if held == "done":
                return None
            if held is not None and not held.startswith(SENT):
                if _swap_claim(rt, req, (held, held), token):
                    log.warning("chat %s message %s: an earlier try stopped before its answer "
                                "went out; answering", req.chat_id, req.message_id)
                    return token
            elif held is not None:
                log.warning("chat %s message %s: an earlier try stopped mid-send; taken as "
                            "delivered", req.chat_id, req.message_id)
                _mark_done(rt, req, "unknown")
                _with_redis(rt.redis.hincrby, Keys.counters, "unknown_delivery", 1)
                return None
            continue  # the claim changed meanwhile: look again
        time.sleep(0.5)


def _hand_over(rt: Any, req: StickerRequest, token: str) -> None:
    """Called just before the answer's last byte goes out: from here Telegram may deliver it,
    so the claim says so and no retry sends it again. Raises DeliveryTaken when another
    execution has taken the claim over; a Redis error (after a few seconds) abandons the
    upload undelivered, and the job's retry answers."""
    sent = SENT + token
    # replicated before the last byte: should the primary die now, the new one still knows
    # that this answer may have gone out, and no retry sends a second one
    if not _swap_claim(rt, req, (token, sent), sent, patience=5.0, replicate=True):
        raise DeliveryTaken(f"chat {req.chat_id} message {req.message_id}")


def _not_sent(exc: Exception) -> bool:
    """The answer surely did not reach Telegram: it answered with an error, or no connection
    was made. (A timeout or a dropped connection after the upload leaves it unknown.)"""
    description = getattr(exc, "description", "")
    return bool(getattr(exc, "code", 0)) or "ConnectError" in description \
        or "ConnectTimeout" in description


def _release_delivery(rt: Any, req: StickerRequest) -> None:
    """Telegram refused the answer: it was not sent, so a retry may send it."""
    try:
        rt.redis.delete(Keys.delivery(req.chat_id, req.message_id, req.answer_style))
    except Exception as exc:  # noqa: BLE001  (the claim then waits out CLAIM_WAIT_S)
        log.warning("delivery claim not released: %s", exc)


def _mark_done(rt: Any, req: StickerRequest, how: str) -> None:
    """The photo is answered (`how`: sticker, message, forbidden): no retry answers it again."""
    from .identity import remember_keys

    done_key = Keys.done(req.chat_id, req.message_id, req.answer_style)

    def write() -> None:
        with rt.redis.pipeline(transaction=True) as pipe:
            pipe.set(done_key, how, ex=24 * 3600)
            pipe.set(Keys.delivery(req.chat_id, req.message_id, req.answer_style), "done",
                     ex=24 * 3600)
            if req.chat_type == "private":
                remember_keys(pipe, req.user_id, [done_key, Keys.delivery(
                    req.chat_id, req.message_id, req.answer_style)], rt.settings.cache_ttl)
            pipe.execute()

    _with_redis(write)


def _defer(exc: Exception) -> None:
    """A 429 asks to wait `retry_after` seconds: make the job's next retry wait that long at
    least (RQ then schedules it; worker.runtime.reap queues it when it is due)."""
    retry_after = getattr(exc, "retry_after", None)
    if not retry_after:
        return
    from rq import get_current_job

    job = get_current_job()
    if job is None or not job.retries_left or not job.retry_intervals:
        return
    delays = list(job.retry_intervals)
    index = max(len(delays) - job.retries_left, 0)
    delays[index] = max(delays[index], int(retry_after + 0.999) + 1)
    job.retry_intervals = delays


def identity_sticker(payload: dict[str, Any]) -> dict[str, Any]:
    """Job: draw the person's identity (neutral expression, their style) and send it with the
    buttons that correct it (worker.identity.main_keyboard)."""
    from pipeline.errors import MojiError

    from . import identity, runtime
    from .stickers import to_webp
    from .webapp import with_editor_button

    req = IdentityRequest.from_dict(payload)
    i18n.use(req.language)
    rt = runtime.current()
    kept = identity.load(rt.redis, req.user_id)
    if kept is None:  # forgotten meanwhile
        rt.bot.send_message(req.chat_id, _(USER_MESSAGES["no_identity"]))
        return {"ok": False, "error": "no_identity"}
    try:
        sticker = rt.pipeline.render_identity(kept.to_likeness(), kept.face, style=req.style)
    except MojiError as exc:
        known = USER_MESSAGES.get(exc.code)
        rt.bot.send_message(req.chat_id, _(known) if known else exc.message)
        rt.redis.hincrby(Keys.counters, f"error_{exc.code}", 1)
        return {"ok": False, "error": exc.code}
    tags = {kind: list(m.tags) for kind, m in sticker.matches.items()}
    emoji = emoji_for(tags)
    message = _send_sticker(rt, req.chat_id, to_webp(sticker.png), emoji,
                            reply_markup=with_editor_button(identity.main_keyboard(kept)))
    if message is None:
        return {"ok": False, "error": "forbidden"}
    with rt.redis.pipeline(transaction=False) as pipe:
        pipe.hincrby(Keys.counters, "identity_stickers", 1)
        pipe.execute()
    return {"ok": True, "file_id": message["sticker"]["file_id"], "message_id":
            message["message_id"], "version": kept.version, "likeness": kept.likeness,
            "face": kept.face, "parts": tags}


def _send_sticker(rt: Any, chat_id: int, webp: bytes, emoji: str,
                  reply_markup: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """sendSticker as an upload; None when the person blocked the bot (nobody to tell)."""
    from .botapi import BotAPIError

    try:
        return rt.bot.call("sendSticker",
                           {"chat_id": chat_id, "emoji": emoji, "reply_markup": reply_markup},
                           files={"sticker": ("sticker.webp", webp, "image/webp")})
    except BotAPIError as exc:
        if exc.code == 403:
            rt.redis.hincrby(Keys.counters, "undeliverable", 1)
            return None
        raise


def _answer_error(rt: Any, req: StickerRequest, code: str, detail: str = "",
                  params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Tell the person why there is no sticker (once: a retry finds it done), and cache the
    answer for a repeat of the photo. `params`: the error's numbers (MojiError.params)."""
    from .botapi import BotAPIError

    known = user_message(code, req.media)
    text = _(known) if known else detail or _(user_message("failed", req.media))
    if code == "too_large" and req.media == "photo" and (params or {}).get("megapixels"):
        text = _(TOO_LARGE_SIZE).format(megapixels=f"{params['megapixels']:g}",
                                        limit=params["limit_megapixels"],
                                        size=f"{params['width']}×{params['height']}")
    from .identity import remember_keys

    token = _claim_delivery(rt, req)
    if token is None:  # answered already (a retry)
        return {"ok": True, "duplicate": True}
    try:
        rt.bot.send_message(req.chat_id, text, reply_to=req.message_id,
                            before_last_byte=lambda: _hand_over(rt, req, token))
    except DeliveryTaken:
        return {"ok": True, "duplicate": True}
    except BotAPIError as exc:
        if exc.code == 403:
            _mark_done(rt, req, "forbidden")
            return {"ok": False, "error": "forbidden"}
        if _not_sent(exc):
            _release_delivery(rt, req)
        _defer(exc)
        raise
    _mark_done(rt, req, "message")
    with rt.redis.pipeline(transaction=False) as pipe:
        if code in ("no_face", "bad_image", "too_small", "heic", "too_large", "file_too_big"):
            key = Keys.cache(req.file_unique_id, req.answer_style)
            pipe.set(key, json.dumps({"error": code, "message": text}), ex=rt.settings.cache_ttl)
            remember_keys(pipe, req.user_id, [key], rt.settings.cache_ttl)
        pipe.hincrby(Keys.counters, f"error_{code}", 1)
        pipe.execute()
    return {"ok": False, "error": code}


def on_failure(job: Any, connection: Any, exc_type: type, exc_value: BaseException,
               traceback: Any) -> None:
    """RQ failure callback: a job ran out of retries (or its worker died): tell the person."""
    from rq.exceptions import AbandonedJobError

    from .botapi import BotAPI
    from .config import Settings

    lost = exc_type is AbandonedJobError or isinstance(exc_value, AbandonedJobError)
    if job.retries_left and job.retries_left > 0:  # RQ calls this before every retry too
        log.info("job %s %s (%s): %d retries left, the person is not told", job.id,
                 "was abandoned" if lost else "failed", exc_type.__name__, job.retries_left)
        return
    connection.hincrby(Keys.counters, "lost" if lost else "failed", 1)
    try:  # a sticker request (reply to its photo) or an identity request (no photo)
        payload = job.args[0]
        chat_id, reply_to = int(payload["chat_id"]), payload.get("message_id")
        i18n.use(payload.get("language"))
        media = payload.get("media", "photo")
    except (IndexError, KeyError, TypeError, ValueError):
        log.error("job %s failed and has no request to answer", job.id)
        return
    if reply_to and payload.get("style"):  # a photo: answered already (a sticker sent by an
        # attempt that died before finishing), or about to be told by another process?
        done_key = Keys.done(chat_id, int(reply_to),
                             answer_style(payload["style"], bool(payload.get("all_faces"))))
        if not connection.set(done_key, "told", nx=True, ex=24 * 3600):
            log.info("job %s for chat %s: answered already, not told", job.id, chat_id)
            return
        if payload.get("chat_type") == "private":
            from .identity import remember_keys

            ttl = Settings.from_env(require_token=False).cache_ttl
            with connection.pipeline(transaction=False) as pipe:
                remember_keys(pipe, int(payload["user_id"]), [done_key], ttl)
                pipe.execute()
    log.warning("job %s for chat %s %s: %s", job.id, chat_id,
                "was abandoned" if lost else "failed", exc_type.__name__)
    from . import runtime

    kind = (getattr(job, "func_name", "") or "").rsplit(".", 1)[-1]
    if kind == "build_pack":  # the pack is no longer being made: /pack may start it again
        from .packs import pending_key

        connection.delete(pending_key(int(payload["user_id"])))
    text = (FAILED_REQUEST_MESSAGES[kind] if kind in FAILED_REQUEST_MESSAGES
            else user_message("lost" if lost else "failed", media))
    rt = runtime.current_or_none()
    bot = rt.bot if rt else BotAPI.from_settings(Settings.from_env())
    try:
        bot.send_message(chat_id, _(text), reply_to=reply_to)
    finally:
        if not rt:
            bot.close()


def build_pack(payload: dict[str, Any]) -> dict[str, Any]:
    """Job: a person's whole sticker pack (/pack in a private chat); see worker.packs."""
    from . import packs

    return packs.build(payload)


def render_previews(force: bool = False) -> list[str]:
    """Job: store a sample sticker per style in Redis for /style, where no preview.png exists."""
    from pipeline.style import list_styles, load_style

    from . import runtime
    from .stickers import style_preview_png

    rt = runtime.current()
    done = []
    for name in list_styles():
        style = load_style(name)
        if (style.path / "preview.png").exists() and not force:
            continue
        key = Keys.preview(name)
        if not force and rt.redis.hget(key, "fingerprint") == style.fingerprint.encode():
            continue
        rt.redis.hset(key, mapping={"png": style_preview_png(style),
                                    "fingerprint": style.fingerprint})
        done.append(name)
    return done
