"""Moji's handlers: a selfie in, a job queued; the person's look (/me, /forget), styles, sticker
packs and stats.

Nothing here renders or waits on rendering: a photo becomes a job on the queue (worker.jobs) and
the handler returns. Redis calls go through `asyncio.to_thread` (see bot.store).
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import time
from typing import Any

from telegram import InlineKeyboardMarkup, InputFile, InputSticker, Message, Update
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from pipeline.style import list_styles, load_style
from worker import identity
from worker.jobs import IdentityRequest, StickerRequest

from .keyboards import STYLE_PREFIX, markup, style_keyboard
from .previews import preview_sheet, sheet_key
from .store import Store

log = logging.getLogger(__name__)

DEFAULT_STYLE = "classic"
MAX_DOWNLOAD = 20 * 1024 * 1024  # getFile serves files up to 20 MB
MAX_STICKERS_PER_SET = 120

HELP = (
    "Send me a selfie and I'll turn it into an emoji sticker that copies your expression. "
    "Your first selfie sets your look (hair, face shape, glasses, skin tone...); later selfies "
    "keep it and bring only the expression.\n\n"
    "/me - see your look and correct it\n"
    "/style - pick an art style\n"
    "/pack - add your last sticker to your own sticker pack\n"
    "/forget - delete everything I keep about you\n"
    "/help - this message\n\n"
    "In groups: reply to a photo with /emoji (or mention me), or send a photo with /emoji as "
    "its caption. /pack there adds to the group's pack."
)


NO_LOOK = ("I don't know your look yet: send me a selfie first. I'll keep your hair, face shape, "
           "glasses and skin tone from it for every sticker, and /me shows them.")
FORGET_WHAT = {  # worker.identity.forget's kinds, as a person reads them
    "identity": "your look (hair, face shape, glasses, skin tone...)",
    "style": "your style choice",
    "last_sticker": "your last sticker",
    "cached_sticker": "saved copies of your stickers",
    "pack": "my note of your sticker pack (the pack itself stays on Telegram)",
    "rate_limit": "your recent-request counter",
    "job": "records of your sticker jobs",
}


def _store(context: ContextTypes.DEFAULT_TYPE) -> Store:
    return context.bot_data["store"]


def _default_style() -> str:
    names = list_styles()
    return DEFAULT_STYLE if DEFAULT_STYLE in names or not names else names[0]


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet the user and say what to do."""
    name = update.effective_user.first_name if update.effective_user else "there"
    await update.effective_message.reply_text(f"Hi {name}! " + HELP)


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain the commands."""
    await update.effective_message.reply_text(HELP)


async def photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A photo (or an image file) in a private chat: make a sticker from it."""
    await make_sticker(update, context, update.effective_message)


async def not_a_photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A file that is not an image, in a private chat: say what works."""
    await update.effective_message.reply_text(
        "That file isn't an image. Send me a selfie as a photo or as a JPEG/PNG file.")


async def emoji_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/emoji replying to a photo, or as a photo's caption: a sticker in this chat."""
    message = update.effective_message
    target = message if _has_image(message) else message.reply_to_message
    if target is None or not _has_image(target):
        await message.reply_text(
            "Reply to a photo with /emoji, or send a photo with /emoji as its caption.")
        return
    await make_sticker(update, context, target)


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
            await update.effective_message.reply_text(
                f"There is no style {wanted!r}. Choose from: {', '.join(names)}.")
            return
        await asyncio.to_thread(store.set_style, user.id, wanted)
        await update.effective_message.reply_text(
            f"Style set to {load_style(wanted).title}. Send me a selfie!")
        return
    current = await asyncio.to_thread(store.style_of, user.id, _default_style())
    styles = [load_style(name) for name in names]
    keyboard = style_keyboard([(s.name, s.title) for s in styles], current)
    caption = "Pick a style:\n" + "\n".join(
        f"<b>{html.escape(s.title)}</b>: {html.escape(s.description)}" for s in styles)
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
        await query.answer("That style is no longer available.", show_alert=True)
        return
    store = _store(context)
    await asyncio.to_thread(store.set_style, query.from_user.id, name)
    style = load_style(name)
    await query.answer(f"Style: {style.title}")
    names = list_styles()
    keyboard = style_keyboard([(n, load_style(n).title) for n in names], name)
    try:
        await query.edit_message_reply_markup(reply_markup=keyboard)
    except TelegramError as exc:  # e.g. "message is not modified"
        log.debug("keyboard not updated: %s", exc)
    await context.bot.send_message(query.message.chat.id if query.message else query.from_user.id,
                                   f"Style set to {style.title}. Send me a selfie!")


async def me_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/me: draw the person's kept look as a sticker, with buttons to correct it."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if chat.type != ChatType.PRIVATE:
        await message.reply_text("Send /me to me in a private chat.")
        return
    kept = await asyncio.to_thread(_store(context).identity_of, user.id)
    if kept is None:
        await message.reply_text(NO_LOOK)
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
        await query.answer("That button doesn't work any more. Send /me for your look.")
        return
    if card is None or card.chat.id != user.id:  # a look is changed only in its own chat
        await query.answer("Only you can change your look, in your chat with me.")
        return
    store = _store(context)
    kept = await asyncio.to_thread(store.identity_of, user.id)
    if kept is None:
        await query.answer("I don't know your look any more: send me a selfie first.",
                           show_alert=True)
        await _set_markup(query, None)
        return
    if press.version != kept.version:
        await query.answer("This card is out of date: send /me for your current look.")
        await _set_markup(query, None)
        return
    if press.action == "b":
        await query.answer()
        await _set_markup(query, markup(identity.main_keyboard(kept)))
    elif press.action == "t":
        if press.trait.code == "hc" and kept.value("hl") == "none":
            await query.answer("Your look has no hair: pick a hair length first.")
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
    gone = [text if deleted.get(kind, 0) <= 1 or kind not in ("cached_sticker", "job")
            else f"{text} ({deleted[kind]})"
            for kind, text in FORGET_WHAT.items() if deleted.get(kind)]
    if not gone:
        reply = "I keep nothing about you. Photos are never stored."
    else:
        reply = ("Done. I deleted " + ", ".join(gone) + ". Photos are never stored. "
                 "Send me a selfie to start again.")
    await update.effective_message.reply_text(reply)


async def unknown_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any other button (an old keyboard, or data no handler knows): answered all the same."""
    await update.callback_query.answer("That button doesn't work any more.")


async def pack_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/pack: add the user's last sticker to their sticker set (in a group: the group's set)."""
    store, user, chat = _store(context), update.effective_user, update.effective_chat
    message = update.effective_message
    last = await asyncio.to_thread(store.last_sticker, chat.id, user.id)
    if not last:
        await message.reply_text("Make a sticker first: send me a selfie, then /pack.")
        return
    if not await asyncio.to_thread(store.mark_in_set, chat.id, last["file_id"]):
        await message.reply_text("That sticker is already in the pack.")
        return
    group = chat.type != ChatType.PRIVATE
    bot_name = context.bot.username
    name = f"moji_{'g' if group else 'u'}{abs(chat.id)}_by_{bot_name}"
    sticker = InputSticker(last["file_id"], [last.get("emoji") or "🙂"], format="static")
    existing = await asyncio.to_thread(store.sticker_set, chat.id)
    try:
        if existing:
            await context.bot.add_sticker_to_set(existing["owner"], existing["name"], sticker)
            name = existing["name"]
        else:
            title = (f"{chat.title} emoji" if group else f"{user.first_name}'s Moji")[:64]
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
            await pack_command(update, context)
            return
        if "too_much" in text or "too much" in text:
            reply = f"The pack is full ({MAX_STICKERS_PER_SET} stickers)."
        elif "peer_id_invalid" in text or "user not found" in text:
            reply = "Start a private chat with me first (press Start), then try /pack again."
        else:
            reply = f"Telegram refused to change the sticker pack: {exc}"
        await message.reply_text(reply)
        return
    whose = "the group's" if group else "your"
    await message.reply_text(f"Added to {whose} pack: https://t.me/addstickers/{name}")


async def stats_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stats for admins: queue, workers, latency, failures."""
    store = _store(context)
    if update.effective_user.id not in store.settings.admin_ids:
        await update.effective_message.reply_text("/stats is for the bot's admins.")
        return
    s = await asyncio.to_thread(store.stats)
    lat, c = s["latency_ms"], s["counters"]

    def ms(v: float | None) -> str:
        return "-" if v is None else f"{v:.0f} ms"

    await update.effective_message.reply_text(
        f"Queue: {s['queued']} waiting, {s['running']} running\n"
        f"Workers: {s['workers']} ({s['busy_workers']} busy"
        + (f", {s['silent_workers']} not answering" if s["silent_workers"] else "") + ")\n"
        f"Latency (last {lat['n']}): p50 {ms(lat['p50'])}, p95 {ms(lat['p95'])}, "
        f"p99 {ms(lat['p99'])}\n"
        f"Jobs: {c.get('jobs', 0)}, stickers: {c.get('stickers', 0)}, "
        f"cached: {c.get('cached', 0)}\n"
        f"Failed: {c.get('failed', 0)}, lost (worker died): {c.get('lost', 0)}, "
        f"failed registry: {s['failed_registry']}\n"
        f"Rate-limited: {c.get('rate_limited', 0)}, busy refusals: {c.get('busy', 0)}, "
        f"no face: {c.get('error_no_face', 0)}, bad image: {c.get('error_bad_image', 0)}")


async def error_handler(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the error with its update, and tell the user something short."""
    log.error("error while handling update %s", update, exc_info=context.error)
    if isinstance(update, Update) and update.callback_query:
        try:  # every button gets an answer, even when its handler failed before answering
            await update.callback_query.answer("Sorry, something went wrong. Please try again.")
        except TelegramError:
            pass  # it was answered already
        return
    if isinstance(update, Update) and update.effective_message:
        try:
            await update.effective_message.reply_text(
                "Sorry, something went wrong. Please try again in a moment.")
        except TelegramError:
            pass


# --- helpers ------------------------------------------------------------------------------------

_IMAGE_NAME = re.compile(r"\.(jpe?g|png|webp|heic|heif|bmp|gif|tiff?)$", re.I)


def _has_image(message: Message) -> bool:
    if message.photo:
        return True
    doc = message.document
    return bool(doc and ((doc.mime_type or "").startswith("image/")
                         or _IMAGE_NAME.search(doc.file_name or "")))


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
                       target: Message) -> None:
    """Queue a sticker for the image in `target`, or answer at once (cache, limits, errors)."""
    received = time.time()
    store, user, chat = _store(context), update.effective_user, update.effective_chat
    if target.photo:
        file = target.photo[-1]
    else:
        file = target.document
    if file.file_size and file.file_size > MAX_DOWNLOAD:
        await target.reply_text("That file is too big: bots can download files up to 20 MB. "
                                "Send a smaller photo.")
        return
    style = await asyncio.to_thread(store.style_of, user.id, _default_style())
    req = StickerRequest(chat_id=chat.id, user_id=user.id, message_id=target.message_id,
                         file_id=file.file_id, file_unique_id=file.file_unique_id, style=style,
                         chat_type=chat.type, received_at=received)
    result = await asyncio.to_thread(store.submit, req)
    if result.outcome == "cached":
        entry = result.cached
        if "file_id" in entry:
            await target.reply_sticker(entry["file_id"], emoji=entry.get("emoji"))
            await asyncio.to_thread(store.record_cached, req, entry)
        else:
            await target.reply_text(entry.get("message", "I couldn't make a sticker of that."))
    elif result.outcome == "queued":
        if result.ahead >= 10:
            await target.reply_text(f"Got it! {result.ahead} stickers are ahead of yours.")
        else:  # in the background: a throttled chat action must not hold up the next photo
            context.application.create_task(
                context.bot.send_chat_action(chat.id, ChatAction.CHOOSE_STICKER), update=update)
    elif result.outcome == "limited":
        if result.notify:
            s = store.settings
            await target.reply_text(
                f"Slow down a little: I make up to {s.rate_count} stickers per "
                f"{s.rate_period} seconds for each person. Try again in a moment.")
    else:
        await target.reply_text("I'm busy right now. Please try again in a minute.")


async def _set_markup(query: Any, keyboard: InlineKeyboardMarkup | None) -> None:
    """Change (or with None, remove) the keyboard of the message a button was pressed on."""
    try:
        await query.edit_message_reply_markup(reply_markup=keyboard)
    except TelegramError as exc:  # e.g. "message is not modified", or a message too old
        log.debug("keyboard not updated: %s", exc)


def _change_text(change: identity.Change, retake: bool = False) -> str:
    """The callback answer for a /me change."""
    if change.status == "missing":
        return "I don't know your look any more: send me a selfie first."
    if change.status == "stale":
        return "This card is out of date: send /me for your current look."
    if retake:
        return ("Already waiting: your next selfie sets your look." if change.status == "same"
                else "OK: your next selfie sets your look again, from scratch.")
    shown = identity.shown(change.value)
    label = change.trait.label if change.trait else "That"
    if change.status == "ok":
        return f"{label}: {shown}. Here is your new look."
    if change.status == "same":
        return f"{label} is already {shown}."
    if change.status == "no_hair":
        return "Your look has no hair: pick a hair length first."
    return "That button doesn't work any more. Send /me for your look."


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


async def _queue_identity(update: Update, context: ContextTypes.DEFAULT_TYPE, user_id: int,
                          chat_id: int) -> str | None:
    """Queue the identity sticker; None when queued, else what to tell the person."""
    store = _store(context)
    style = await asyncio.to_thread(store.style_of, user_id, _default_style())
    req = IdentityRequest(chat_id=chat_id, user_id=user_id, style=style, received_at=time.time())
    result = await asyncio.to_thread(store.submit_identity, req)
    if result.outcome == "queued":
        context.application.create_task(
            context.bot.send_chat_action(chat_id, ChatAction.CHOOSE_STICKER), update=update)
        return None
    if result.outcome == "limited":
        s = store.settings
        return (f"Slow down a little: I make up to {s.rate_count} stickers per "
                f"{s.rate_period} seconds for each person. Send /me again in a moment.")
    return "I'm busy right now. Send /me again in a minute."
