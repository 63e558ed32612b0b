"""Moji's handlers: a selfie in, a job queued; the person's look (/me, /forget), styles, sticker
packs and stats.

Nothing here renders or waits on rendering: a photo, or a clip (a video note, a video, a GIF: an
animated sticker), becomes a job on the queue (worker.jobs) and the handler returns. Redis calls
go through `asyncio.to_thread` (see bot.store).

Every text a person reads goes through worker.i18n's catalogues: `set_language` runs before the
other handlers of each update and sets the person's language (/language, else their app's).
Inline mode (`@bot smile`) answers from the person's own stickers (bot.inline).
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import time
from typing import Any

from redis.exceptions import RedisError
from telegram import (
    InlineKeyboardMarkup,
    InlineQueryResultsButton,
    InputFile,
    InputSticker,
    Message,
    Update,
)
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from pipeline.errors import MojiError
from pipeline.pack import PACK
from pipeline.style import list_styles, load_style
from worker import i18n, identity, packs
from worker.i18n import N_, _, ngettext
from worker.jobs import USER_MESSAGES, IdentityRequest, StickerRequest, user_message
from worker.packs import CALLBACK_MAKE, PackRequest

from . import inline, style_names
from .keyboards import LANGUAGE_PREFIX, STYLE_PREFIX, language_keyboard, markup, style_keyboard
from .previews import preview_sheet, sheet_key
from .store import MaybeQueued, Store

log = logging.getLogger(__name__)

DEFAULT_STYLE = "classic"
MAX_DOWNLOAD = 20 * 1024 * 1024  # getFile serves files up to 20 MB
MAX_STICKERS_PER_SET = 120
# Telegram keeps an inline answer this long: short, so that a new sticker shows up soon
INLINE_CACHE_S = 5
INLINE_START = "inline"  # /start's parameter from the inline "make a sticker" button

HELP = N_(
    "Send me a selfie and I'll turn it into an emoji sticker that copies your expression. "
    "Your first selfie sets your look (hair, face shape, glasses, skin tone...); later selfies "
    "keep it and bring only the expression. A video note, a video or a GIF becomes an animated "
    "sticker.\n\n"
    "/me - see your look and correct it\n"
    "/style - pick an art style\n"
    "/pack - make your own sticker pack: you, in every expression\n"
    "/language - choose my language\n"
    "/forget - delete everything I keep about you\n"
    "/help - this message\n\n"
    "In any chat, type @{bot} and an emoji or a word (smile, wink...) to send one of your "
    "stickers.\n\n"
    "In groups: reply to a photo or a video with /emoji (or mention me), or send one with /emoji "
    "as its caption; /emoji all puts everyone in a photo on one sticker. /pack there adds to the "
    "group's pack."
)


TROUBLE = N_("I'm having trouble right now and couldn't take your photo. Please send it again "
             "in a minute.")
WHAT_I_TAKE = N_("I make stickers from photos and videos: send me a selfie (as a photo or as a "
                 "JPEG/PNG file), or a video note, a video or a GIF for an animated sticker. "
                 "/help says more.")
NO_HEIC = USER_MESSAGES["heic"]
EDITED = N_("I make stickers from new messages only: send the new photo as a new message.")
NOT_READY = N_("I'm not ready yet: my sticker makers are still being set up. Please send your "
                "selfie again a little later.")
LIMITED_REACTION = "🥱"  # each photo over the rate limit after the first "slow down" message
STYLE_ECHO_MAX = 40  # characters of an unknown /style name repeated back


NO_LOOK = N_("I don't know your look yet: send me a selfie first. I'll keep your hair, face shape, "
           "glasses and skin tone from it for every sticker, and /me shows them.")
FORGET_WHAT = {  # worker.identity.forget's kinds, as a person reads them
    "identity": N_("your look (hair, face shape, glasses, skin tone...)"),
    "style": N_("your style choice"),
    "language": N_("your language choice"),
    "last_sticker": N_("your last sticker"),
    "cached_sticker": N_("saved copies of your stickers"),
    "inline": N_("your list of stickers for inline mode"),
    "pack": N_("my note of your sticker pack (the pack itself stays on Telegram)"),
    "rate_limit": N_("your recent-request counter"),
    "job": N_("records of your sticker jobs"),
}


def _store(context: ContextTypes.DEFAULT_TYPE) -> Store:
    return context.bot_data["store"]


def _help(context: ContextTypes.DEFAULT_TYPE) -> str:
    return _(HELP).format(bot=context.bot.username)


def _default_style() -> str:
    names = list_styles()
    return DEFAULT_STYLE if DEFAULT_STYLE in names or not names else names[0]


async def set_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Before any other handler: speak the person's language (their /language choice, else
    Telegram's language_code, else English)."""
    user = update.effective_user
    if user is not None:  # the choice is kept in memory (Store.language_of): no I/O here
        i18n.use(_store(context).language_of(user.id) or user.language_code)


async def language_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/language: the languages I speak, on a keyboard."""
    await update.effective_message.reply_text(
        _("Choose the language I speak with you:"),
        reply_markup=language_keyboard(i18n.LANGUAGES, i18n.current()))


async def language_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A language was picked: keep it for this person and say so, in it."""
    query = update.callback_query
    code = (query.data or "").removeprefix(LANGUAGE_PREFIX)
    if code not in i18n.LANGUAGES:
        await query.answer(_("That button doesn't work any more."))
        return
    await asyncio.to_thread(_store(context).set_language, query.from_user.id, code)
    i18n.use(code)
    done = _("From now on I speak English with you.")
    await query.answer(done)
    try:
        await query.edit_message_text(done + " " + _("/language changes it."))
    except TelegramError as exc:  # e.g. the message is too old to edit
        log.debug("language message not edited: %s", exc)


async def inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """@bot <emoji or words> in any chat: the person's own stickers that match, newest first."""
    query = update.inline_query
    stickers = await asyncio.to_thread(_store(context).inline_stickers, query.from_user.id)
    if not stickers:  # nothing to show yet: a button that opens the bot
        await query.answer([], cache_time=INLINE_CACHE_S, is_personal=True,
                           button=InlineQueryResultsButton(
                               text=_("Make your first sticker"), start_parameter=INLINE_START))
        return
    # The results as plain dicts: building and serializing 50 InlineQueryResultCachedSticker
    # objects was most of the bot's CPU per answer (moji bench inline), and 20 people typing at
    # once wait on each other's answers.
    found = inline.search(stickers, query.query)
    await context.bot.do_api_request("answerInlineQuery", {
        "inline_query_id": query.id, "results": inline.results(found),
        "cache_time": INLINE_CACHE_S, "is_personal": True})


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet the user and say what to do."""
    name = update.effective_user.first_name if update.effective_user else _("there")
    await update.effective_message.reply_text(
        _("Hi {name}! {help}").format(name=name, help=_help(context)))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain the commands."""
    await update.effective_message.reply_text(_help(context))


async def photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A photo (or an image file) in a private chat: make a sticker from it."""
    await make_sticker(update, context, update.effective_message)


async def clip(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A video note, a video or a GIF in a private chat: make an animated sticker from it."""
    await make_sticker(update, context, update.effective_message)


async def not_a_photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A file that is not an image, in a private chat: say what works."""
    await update.effective_message.reply_text(
        _("That file isn't an image. Send me a selfie as a photo or as a JPEG/PNG file."))


async def other_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Text, a voice note, a sticker... in a private chat: say what I take."""
    await update.effective_message.reply_text(_(WHAT_I_TAKE))


async def edited_photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An edited message with an image: a new caption is ignored; a replaced photo is not
    taken (its message was answered already), and the person is told to send it anew."""
    message = update.effective_message
    file = message.photo[-1] if message.photo else message.document
    if file is None:
        return
    try:
        seen = await asyncio.to_thread(_store(context).edited_photo, message.chat.id,
                                       message.message_id, file.file_unique_id)
    except RedisError as exc:
        log.warning("edited message not checked: %s", exc)
        return
    if seen == "replaced":
        await message.reply_text(_(EDITED))


async def emoji_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/emoji replying to a photo or a clip, or as its caption: a sticker in this chat; /emoji
    all: one sticker of everyone in the photo."""
    message = update.effective_message
    target = message if _has_media(message) else message.reply_to_message
    if target is None or not _has_media(target):
        await message.reply_text(
            _("Reply to a photo or a video with /emoji, or send one with /emoji as its caption."))
        return
    all_faces = bool(_EMOJI_ALL.match(message.text or message.caption or ""))
    await make_sticker(update, context, target, all_faces=all_faces)


async def mention(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A message mentioning the bot works like /emoji."""
    message = update.effective_message
    username = (context.bot.username or "").lower()
    mentions = {*message.parse_entities(["mention"]).values(),
                *message.parse_caption_entities(["mention"]).values()}
    if username and f"@{username}" in {m.lower() for m in mentions}:
        await emoji_command(update, context)


async def style_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/style shows the styles with previews; /style NAME picks one."""
    store, user = _store(context), update.effective_user
    names = list_styles()
    if context.args:
        wanted = context.args[0].strip().lower()
        if wanted not in names:
            shown = (wanted if len(wanted) <= STYLE_ECHO_MAX
                     else wanted[:STYLE_ECHO_MAX - 1] + "…")
            await update.effective_message.reply_text(
                _("There is no style {name}. Choose from: {names}.").format(
                    name=repr(shown), names=", ".join(names)))
            return
        await asyncio.to_thread(store.set_style, user.id, wanted)
        await update.effective_message.reply_text(
            _("Style set to {style}. Send me a selfie!").format(
                style=style_names.title(load_style(wanted))))
        return
    current = await asyncio.to_thread(store.style_of, user.id, _default_style())
    styles = [load_style(name) for name in names]
    keyboard = style_keyboard([(s.name, style_names.title(s)) for s in styles], current)
    caption = _("Pick a style:") + "\n" + "\n".join(
        f"<b>{html.escape(style_names.title(s))}</b>: "
        f"{html.escape(style_names.description(s))}" for s in styles)
    previews = await asyncio.to_thread(_previews, store, styles)
    if not previews:
        await update.effective_message.reply_text(
            caption, reply_markup=keyboard, parse_mode=ParseMode.HTML)
        return
    key = sheet_key(previews)
    file_id = await asyncio.to_thread(store.cached_file_id, key)
    photo = file_id or InputFile(await asyncio.to_thread(preview_sheet, previews),
                                 filename="styles.png")
    sent = await update.effective_message.reply_photo(
        photo, caption=caption,
        reply_markup=keyboard, parse_mode=ParseMode.HTML)
    if not file_id and sent.photo:
        await asyncio.to_thread(store.cache_file_id, key, sent.photo[-1].file_id)


async def style_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A style was picked on the keyboard: store it for this user."""
    query = update.callback_query
    name = (query.data or "").removeprefix(STYLE_PREFIX)
    if name not in list_styles():
        await query.answer(_("That style is no longer available."), show_alert=True)
        return
    store = _store(context)
    await asyncio.to_thread(store.set_style, query.from_user.id, name)
    style = load_style(name)
    await query.answer(_("Style: {style}").format(style=style_names.title(style)))
    names = list_styles()
    keyboard = style_keyboard([(n, style_names.title(load_style(n))) for n in names], name)
    try:
        await query.edit_message_reply_markup(reply_markup=keyboard)
    except TelegramError as exc:  # e.g. "message is not modified"
        log.debug("keyboard not updated: %s", exc)
    await context.bot.send_message(query.message.chat.id if query.message else query.from_user.id,
                                   _("Style set to {style}. Send me a selfie!").format(
                                       style=style_names.title(style)))


async def me_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/me: draw the person's kept look as a sticker, with buttons to correct it."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if chat.type != ChatType.PRIVATE:
        await message.reply_text(_("Send /me to me in a private chat."))
        return
    kept = await asyncio.to_thread(_store(context).identity_of, user.id)
    if kept is None:
        await message.reply_text(_(NO_LOOK))
        return
    refusal = await _queue_identity(update, context, user.id, chat.id)
    if refusal:
        await message.reply_text(refusal)


async def me_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A /me button: show a trait's choices, set one, go back, or take the look again."""
    query = update.callback_query
    press = identity.parse_callback(query.data)
    user, card = query.from_user, query.message
    if press is None:
        await query.answer(_("That button doesn't work any more. Send /me for your look."))
        return
    if card is None or card.chat.id != user.id:  # a look is changed only in its own chat
        await query.answer(_("Only you can change your look, in your chat with me."))
        return
    store = _store(context)
    kept = await asyncio.to_thread(store.identity_of, user.id)
    if kept is None:
        await query.answer(_("I don't know your look any more: send me a selfie first."),
                           show_alert=True)
        await _set_markup(query, None)
        return
    if press.action == "u":  # under a photo of another look: valid whatever the version
        await _use_offered_look(update, context, press)
        return
    if press.version != kept.version:
        await query.answer(_("This card is out of date: send /me for your current look."))
        await _set_markup(query, None)
        return
    if press.action == "b":
        await query.answer()
        await _set_markup(query, markup(identity.main_keyboard(kept)))
    elif press.action == "t":
        if press.trait.code == "hc" and kept.value("hl") == "none":
            await query.answer(_("Your look has no hair: pick a hair length first."))
            return
        await query.answer()
        await _set_markup(query, markup(identity.trait_keyboard(kept, press.trait.code)))
    elif press.action == "r":
        change = await asyncio.to_thread(store.request_retake, user.id, press.version)
        await query.answer(_change_text(change, retake=True))
        if change.identity is not None:
            await _set_markup(query, markup(identity.main_keyboard(change.identity)))
    else:
        await _set_trait(update, context, press)


async def forget_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/forget: delete everything kept about the person, and say what that was."""
    deleted = await asyncio.to_thread(_store(context).forget, update.effective_user.id)
    gone = [_(text) if deleted.get(kind, 0) <= 1 or kind not in ("cached_sticker", "job")
            else f"{_(text)} ({deleted[kind]})"
            for kind, text in FORGET_WHAT.items() if deleted.get(kind)]
    if not gone:
        reply = _("I keep nothing about you. Photos are never stored.")
    else:
        reply = _("Done. I deleted {what}. Photos are never stored. Send me a selfie to start "
                  "again.").format(what=_(", ").join(gone))
    await update.effective_message.reply_text(reply)


async def unknown_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any other button (an old keyboard, or data no handler knows): answered all the same."""
    await update.callback_query.answer(_("That button doesn't work any more."))


async def pack_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/pack: in a private chat, make (or redraw) the person's own pack of 24 stickers; in a
    group, add the person's last sticker there to the group's pack."""
    chat = update.effective_chat
    if chat.type == ChatType.PRIVATE:
        reply = await _queue_pack(update, context, update.effective_user, chat.id)
        await update.effective_message.reply_text(reply)
        return
    await _group_pack(update, context)


async def pack_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """"Make my pack" under a person's first sticker: the same as /pack in their chat."""
    query = update.callback_query
    user, card = query.from_user, query.message
    if query.data != CALLBACK_MAKE or card is None or card.chat.id != user.id:
        await query.answer(_("That button doesn't work any more."))
        return
    reply = await _queue_pack(update, context, user, card.chat.id)
    await query.answer()
    await context.bot.send_message(card.chat.id, reply)


async def _queue_pack(update: Update, context: ContextTypes.DEFAULT_TYPE, user: Any,
                      chat_id: int) -> str:
    """Queue the person's pack (worker.packs); returns what to tell them."""
    store = _store(context)
    kept = await asyncio.to_thread(store.identity_of, user.id)
    if kept is None:
        return _("Your pack is drawn from your look: send me a selfie first, then /pack.")
    style = await asyncio.to_thread(store.style_of, user.id, _default_style())
    try:
        chosen = load_style(style)
    except MojiError:  # a style that was removed: the worker says so
        chosen = None
    record = await asyncio.to_thread(store.sticker_set, user.id)
    if chosen is not None and packs.up_to_date(record, packs.pack_stamp(chosen, kept.version)):
        link = f"https://t.me/addstickers/{record['name']}"
        return _(packs.PACK_MESSAGES["same"]).format(link=link)
    req = PackRequest(chat_id=chat_id, user_id=user.id, style=style, received_at=time.time(),
                      language=i18n.current())
    title = _("{name}'s Moji").format(name=user.first_name)[:64]
    result = await asyncio.to_thread(store.submit_pack, req, title)
    if result.outcome == "queued":
        context.application.create_task(
            context.bot.send_chat_action(chat_id, ChatAction.CHOOSE_STICKER), update=update)
        return ngettext("Making your pack: {n} sticker of you in the {style} style. It takes "
                        "a few seconds...",
                        "Making your pack: {n} stickers of you in the {style} style. It takes "
                        "a few seconds...", len(PACK)).format(
                            n=len(PACK), style=style_names.title(chosen) if chosen else style)
    if result.outcome == "running":
        return _("I'm making your pack already: it's on its way.")
    if result.outcome == "limited":
        s = store.settings
        return _("Slow down a little: I make up to {count} stickers per {seconds} seconds for "
                 "each person. Send /pack again in a moment.").format(count=s.rate_count,
                                                                     seconds=s.rate_period)
    return _("I'm busy right now. Send /pack again in a minute.")


async def _group_pack(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/pack in a group: add the person's last sticker there to the group's sticker set."""
    store, user, chat = _store(context), update.effective_user, update.effective_chat
    message = update.effective_message
    last = await asyncio.to_thread(store.last_sticker, chat.id, user.id)
    if not last:
        await message.reply_text(_("Make a sticker first: send me a selfie, then /pack."))
        return
    if not await asyncio.to_thread(store.mark_in_set, chat.id, last["file_id"]):
        await message.reply_text(_("That sticker is already in the pack."))
        return
    group = chat.type != ChatType.PRIVATE
    bot_name = context.bot.username
    name = f"moji_{'g' if group else 'u'}{abs(chat.id)}_by_{bot_name}"
    sticker = InputSticker(last["file_id"], [last.get("emoji") or "🙂"],
                           format=last.get("format", "static"))  # a clip's: "video"
    existing = await asyncio.to_thread(store.sticker_set, chat.id)
    try:
        if existing:
            await context.bot.add_sticker_to_set(existing["owner"], existing["name"], sticker)
            name = existing["name"]
        else:
            title = (_("{group} emoji").format(group=chat.title) if group
                     else _("{name}'s Moji").format(name=user.first_name))[:64]
            try:
                await context.bot.create_new_sticker_set(user.id, name, title, [sticker])
            except TelegramError as exc:
                if "occupied" not in str(exc).lower():
                    raise
                # the pack is still on Telegram, but /forget dropped the note of it
                await context.bot.add_sticker_to_set(user.id, name, sticker)
            await asyncio.to_thread(store.save_sticker_set, chat.id, name, user.id)
    except TelegramError as exc:
        await asyncio.to_thread(store.unmark_in_set, chat.id, last["file_id"])
        text = str(exc).lower()
        if existing and "stickerset_invalid" in text:  # the set was deleted: start a new one
            await asyncio.to_thread(store.forget_sticker_set, chat.id)
            await _group_pack(update, context)
            return
        if "too_much" in text or "too much" in text:
            reply = _("The pack is full ({count} stickers).").format(count=MAX_STICKERS_PER_SET)
        elif "peer_id_invalid" in text or "user not found" in text:
            reply = _("Start a private chat with me first (press Start), then try /pack again.")
        else:
            reply = _("Telegram refused to change the sticker pack: {error}").format(error=exc)
        await message.reply_text(reply)
        return
    link = f"https://t.me/addstickers/{name}"
    await message.reply_text(_("Added to the group's pack: {link}").format(link=link) if group
                             else _("Added to your pack: {link}").format(link=link))


async def stats_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stats for admins: queue, workers, latency, failures."""
    store = _store(context)
    if update.effective_user.id not in store.settings.admin_ids:
        await update.effective_message.reply_text(_("/stats is for the bot's admins."))
        return
    s = await asyncio.to_thread(store.stats)
    lat, c = s["latency_ms"], s["counters"]

    def ms(v: float | None) -> str:
        return "-" if v is None else f"{v:.0f} ms"

    silent = (_(", {n} not answering").format(n=s["silent_workers"])
              if s["silent_workers"] else "")
    await update.effective_message.reply_text(_(
        "Queue: {queued} waiting, {running} running\n"
        "Workers: {workers} ({busy} busy{silent})\n"
        "Latency (last {n}): p50 {p50}, p95 {p95}, p99 {p99}\n"
        "Jobs: {jobs}, stickers: {stickers}, cached: {cached}\n"
        "Failed: {failed}, lost (worker died): {lost}, failed registry: {registry}\n"
        "Rate-limited: {limited}, busy refusals: {refused}, no face: {no_face}, "
        "bad image: {bad_image}").format(
        queued=s["queued"], running=s["running"], workers=s["workers"],
        busy=s["busy_workers"], silent=silent, n=lat["n"], p50=ms(lat["p50"]),
        p95=ms(lat["p95"]), p99=ms(lat["p99"]), jobs=c.get("jobs", 0),
        stickers=c.get("stickers", 0), cached=c.get("cached", 0), failed=c.get("failed", 0),
        lost=c.get("lost", 0), registry=s["failed_registry"],
        limited=c.get("rate_limited", 0), refused=c.get("busy", 0),
        no_face=c.get("error_no_face", 0), bad_image=c.get("error_bad_image", 0)))


async def error_handler(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the error with its update, and tell the user something short."""
    log.error("error while handling update %s", update, exc_info=context.error)
    if isinstance(update, Update) and update.callback_query:
        try:  # every button gets an answer, even when its handler failed before answering
            await update.callback_query.answer(
                _("Sorry, something went wrong. Please try again."))
        except TelegramError:
            pass  # it was answered already
        return
    if isinstance(update, Update) and update.effective_message:
        try:
            await update.effective_message.reply_text(
                _("Sorry, something went wrong. Please try again in a moment."))
        except TelegramError:
            pass


# --- helpers ------------------------------------------------------------------------------------

_HEIC = re.compile(r"\.(heic|heif)$", re.I)
_CLIP_NAME = re.compile(r"\.(mp4|mov|m4v|webm|mkv|gif)$", re.I)
_IMAGE_NAME = re.compile(r"\.(jpe?g|png|webp|heic|heif|bmp|gif|tiff?)$", re.I)
_EMOJI_ALL = re.compile(r"/emoji(@\w+)?\s+all\b", re.I)  # "/emoji all", "/emoji@moji_bot all"


def _has_image(message: Message) -> bool:
    if message.photo:
        return True
    doc = message.document
    return bool(doc and ((doc.mime_type or "").startswith("image/")
                         or _IMAGE_NAME.search(doc.file_name or "")))


def _clip_of(message: Message) -> Any | None:
    """The clip in a message: a video note, a video, an animation (Telegram's MP4 of a GIF), or
    a video or GIF sent as a file; None when there is none."""
    found = message.video_note or message.video or message.animation
    doc = message.document
    if found is None and doc is not None:
        mime = (doc.mime_type or "").lower()
        if mime.startswith("video/") or mime == "image/gif" or _CLIP_NAME.search(
                doc.file_name or ""):
            found = doc
    return found


def _has_media(message: Message) -> bool:
    """A photo, an image file or a clip: what /emoji makes a sticker of."""
    return _has_image(message) or _clip_of(message) is not None


def _previews(store: Store, styles: list) -> list:
    """(style, preview PNG) for every style that has one."""
    found = []
    for style in styles:
        path = style.path / "preview.png"
        png = path.read_bytes() if path.exists() else store.preview_png(style.name,
                                                                          style.fingerprint)
        if png:
            found.append((style, png))
    return found


async def make_sticker(update: Update, context: ContextTypes.DEFAULT_TYPE,
                       target: Message, all_faces: bool = False) -> None:
    """Queue a sticker for the image in `target` (a video sticker for a clip; `all_faces`: one
    of everyone in a photo), or answer at once (cache, limits, errors)."""
    received = time.time()
    store, user, chat = _store(context), update.effective_user, update.effective_chat
    # a channel post has no sender: the channel stands for the person
    user_id = user.id if user is not None else chat.id
    file = _clip_of(target)
    media = "photo" if file is None else "clip"
    if file is None and target.photo:
        file = target.photo[-1]
    elif file is None:
        file = target.document
        if _HEIC.search(file.file_name or "") or (file.mime_type or "").lower() in (
                "image/heic", "image/heif"):
            await target.reply_text(_(NO_HEIC))
            return
    if file.file_size and file.file_size > MAX_DOWNLOAD:  # getFile would refuse it
        await target.reply_text(_(user_message("file_too_big", media)))
        return
    try:
        style = await asyncio.to_thread(store.style_of, user_id, _default_style())
        req = StickerRequest(chat_id=chat.id, user_id=user_id, message_id=target.message_id,
                             file_id=file.file_id, file_unique_id=file.file_unique_id,
                             style=style, chat_type=chat.type, received_at=received,
                             language=i18n.current(), media=media,
                             all_faces=all_faces and media == "photo")
        result = await asyncio.to_thread(store.submit, req, target.media_group_id)
    except MaybeQueued as exc:  # the job may be queued: it answers, or the notice does
        log.warning("photo in chat %s may not be queued: %s", chat.id, exc)
        try:
            told = await asyncio.to_thread(store.claim_notice, req)
        except RedisError as again:  # Redis stays away: the job is most likely lost
            log.warning("photo in chat %s: no answer could be claimed: %s", chat.id, again)
            told = True
        if told:
            await target.reply_text(_(TROUBLE))
        return
    except RedisError as exc:  # Redis restarting: nothing was queued, so say so
        log.warning("photo in chat %s not queued: %s", chat.id, exc)
        await target.reply_text(_(TROUBLE))
        return
    if result.outcome == "cached":
        entry = result.cached
        if "file_id" in entry:
            await target.reply_sticker(entry["file_id"], emoji=entry.get("emoji"))
            await asyncio.to_thread(store.record_cached, req, entry)
        else:
            # the answer is cached by photo, not by person: say it in this person's language
            known = user_message(entry.get("error", ""), media)
            await target.reply_text(_(known) if known
                                    else _("I couldn't make a sticker of that."))
    elif result.outcome == "queued":
        # only informational, the job is queued: a failure here must not read as an error
        if result.ahead >= 10:
            await _quietly(target.reply_text(ngettext(
                "Got it! {n} sticker is ahead of yours.",
                "Got it! {n} stickers are ahead of yours.", result.ahead).format(n=result.ahead)))
        else:  # in the background: a throttled chat action must not hold up the next photo
            context.application.create_task(
                _quietly(context.bot.send_chat_action(chat.id, ChatAction.CHOOSE_STICKER)),
                update=update)
    elif result.outcome == "limited":
        if result.notify:
            s = store.settings
            await target.reply_text(_(
                "Slow down a little: I make up to {count} stickers per {seconds} seconds for "
                "each person. Try again in a moment.").format(count=s.rate_count,
                                                              seconds=s.rate_period))
        else:  # told already in this window: a reaction, so no photo goes unanswered
            await _quietly(target.set_reaction(LIMITED_REACTION))
    elif result.outcome == "not_ready":
        await target.reply_text(_(NOT_READY))
    else:
        await target.reply_text(_("I'm busy right now. Please try again in a minute."))


async def _quietly(call: Any) -> None:
    """Await a call whose failure (a timeout, a flood limit) must not reach the error handler:
    the informational replies around a queued photo."""
    try:
        await call
    except TelegramError as exc:
        log.info("informational reply not sent: %s", exc)


async def _set_markup(query: Any, keyboard: InlineKeyboardMarkup | None) -> None:
    """Change (or with None, remove) the keyboard of the message a button was pressed on."""
    try:
        await query.edit_message_reply_markup(reply_markup=keyboard)
    except TelegramError as exc:  # e.g. "message is not modified", or a message too old
        log.debug("keyboard not updated: %s", exc)


def _change_text(change: identity.Change, retake: bool = False) -> str:
    """The callback answer for a /me change."""
    if change.status == "missing":
        return _("I don't know your look any more: send me a selfie first.")
    if change.status == "stale":
        return _("This card is out of date: send /me for your current look.")
    if retake:
        return (_("Already waiting: your next selfie sets your look.")
                if change.status == "same"
                else _("OK: your next selfie sets your look again, from scratch."))
    shown = identity.shown(change.value)
    label = identity.label(change.trait) if change.trait else _("That")
    if change.status == "ok":
        return _("{trait}: {value}. Here is your new look.").format(trait=label, value=shown)
    if change.status == "same":
        return _("{trait} is already {value}.").format(trait=label, value=shown)
    if change.status == "no_hair":
        return _("Your look has no hair: pick a hair length first.")
    return _("That button doesn't work any more. Send /me for your look.")


async def _set_trait(update: Update, context: ContextTypes.DEFAULT_TYPE,
                     press: identity.Press) -> None:
    """A choice was pressed: keep it, answer, retire the old card, and queue a new one."""
    query, user = update.callback_query, update.callback_query.from_user
    store = _store(context)
    change = await asyncio.to_thread(store.set_trait, user.id, press.trait.code, press.value,
                                     press.version)
    await query.answer(_change_text(change))
    if change.status != "ok":
        if change.identity is not None and change.status in ("same", "no_hair"):
            await _set_markup(query, markup(identity.main_keyboard(change.identity)))
        elif change.status in ("stale", "missing"):
            await _set_markup(query, None)
        return
    await _set_markup(query, None)  # only the newest card has buttons
    refusal = await _queue_identity(update, context, user.id, query.message.chat.id)
    if refusal:
        await context.bot.send_message(query.message.chat.id, refusal)


async def _use_offered_look(update: Update, context: ContextTypes.DEFAULT_TYPE,
                            press: identity.Press) -> None:
    """"This is me: update my look": that photo's look becomes the person's, and the new look
    comes as a /me card (worker.identity.use_offer)."""
    query, user = update.callback_query, update.callback_query.from_user
    change = await asyncio.to_thread(_store(context).use_offer, user.id, press.value)
    await _set_markup(query, None)  # the button has done its work (or is too old)
    if change.status != "ok":
        await query.answer(_("That photo's look is no longer kept: send the photo again."),
                           show_alert=True)
        return
    await query.answer(_("Done: this is your look now. Here it is."))
    refusal = await _queue_identity(update, context, user.id, query.message.chat.id)
    if refusal:
        await context.bot.send_message(query.message.chat.id, refusal)


async def _queue_identity(update: Update, context: ContextTypes.DEFAULT_TYPE, user_id: int,
                          chat_id: int) -> str | None:
    """Queue the identity sticker; None when queued, else what to tell the person."""
    store = _store(context)
    style = await asyncio.to_thread(store.style_of, user_id, _default_style())
    req = IdentityRequest(chat_id=chat_id, user_id=user_id, style=style, received_at=time.time(),
                          language=i18n.current())
    result = await asyncio.to_thread(store.submit_identity, req)
    if result.outcome == "queued":
        context.application.create_task(
            context.bot.send_chat_action(chat_id, ChatAction.CHOOSE_STICKER), update=update)
        return None
    if result.outcome == "limited":
        s = store.settings
        return _("Slow down a little: I make up to {count} stickers per {seconds} seconds for "
                 "each person. Send /me again in a moment.").format(count=s.rate_count,
                                                                   seconds=s.rate_period)
    return _("I'm busy right now. Send /me again in a minute.")
