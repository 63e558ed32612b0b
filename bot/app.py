"""Moji's bot: build the Application, add the handlers, run it (polling, or a webhook).

    TELEGRAM_BOT_TOKEN=... REDIS_URL=redis://localhost:6379/0 moji bot

Settings come from the environment (worker.config). Each photo becomes an RQ job that a worker
(`moji worker`) renders and answers; the bot also looks every few seconds for jobs whose worker
died, so that they are retried or their user is told.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from urllib.parse import urlparse

from telegram import BotCommand, Update
from telegram.error import InvalidToken, NetworkError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from worker import i18n
from worker.config import Keys, Settings
from worker.i18n import N_, _
from worker.redact import install as install_redaction

from . import handlers
from .keyboards import LANGUAGE_PREFIX, ME_PREFIX, PACK_PREFIX, STYLE_PREFIX
from .request import AiohttpRequest
from .store import Store

log = logging.getLogger(__name__)

REAP_EVERY_S = 2.0
COMMANDS = [  # (command, description in English: registered in every language at start-up)
    ("start", N_("What Moji does")),
    ("me", N_("See your look and correct it")),
    ("style", N_("Pick an art style")),
    ("pack", N_("Make your own sticker pack")),
    ("emoji", N_("In groups: make a sticker of the photo or video you reply to")),
    ("language", N_("Choose my language")),
    ("forget", N_("Delete everything Moji keeps about you")),
    ("help", N_("How to use Moji")),
]


async def _count_update(update: Update, context: object) -> None:
    """Every update, counted by kind (and the photo or clip it carries): worker.metrics."""
    from worker.metrics import count_update

    count_update(update)


UNKNOWN_COMMAND = N_("I don't know {command}. These are my commands:")


async def unknown_command(update: Update, context: object) -> None:
    """A command I do not have (/settings), in a private chat: say so, and list mine."""
    message = update.effective_message
    command = (message.text or "/").split()[0].split("@")[0][:32]
    lines = "\n".join(f"/{name} - {_(description)}" for name, description in COMMANDS)
    await message.reply_text(_(UNKNOWN_COMMAND).format(command=command) + "\n" + lines)


def commands(language: str) -> list[BotCommand]:
    """The command list with its descriptions in a language."""
    with i18n.using(language):
        return [BotCommand(name, _(description)) for name, description in COMMANDS]


async def _reaper(store: Store) -> None:
    from worker.runtime import reap

    waiting = False  # the workers wait for model files: said once, and once when it ends
    while True:
        await asyncio.sleep(REAP_EVERY_S)
        try:
            await asyncio.to_thread(reap, store.redis, store.settings.queue)
            missing = await asyncio.to_thread(store.models_missing)
        except Exception:
            log.exception("looking for abandoned jobs failed")
            continue
        if missing and not waiting and not os.environ.get("MOJI_MODELS_ANNOUNCED"):
            print(f"moji bot: the workers cannot start yet, and selfies get a \"not ready "
                  f"yet\" answer. {missing}", file=sys.stderr, flush=True)
        elif waiting and not missing:
            log.warning("the workers have their model files now")
        waiting = bool(missing)


async def _post_init(application: Application) -> None:
    store: Store = application.bot_data["store"]
    await asyncio.to_thread(store.redis.set, Keys.bot_username, application.bot.username)
    chosen = await asyncio.to_thread(store.load_languages)
    log.info("%d people chose their language with /language", chosen)
    # English for everyone, then each language for the people whose app speaks it
    scopes = [(i18n.DEFAULT, None)] + list(i18n.COMMAND_LANGUAGE_CODES.items())
    for language, code in scopes:
        try:
            await application.bot.set_my_commands(commands(language), language_code=code)
        except Exception as exc:  # not fatal: the commands still work
            log.warning("setMyCommands (%s) failed: %s", code or "default", exc)
    await _menu_button(application)
    if not application.bot.supports_inline_queries:
        log.info("inline mode is off: send /setinline to @BotFather to switch it on")
    application.bot_data["reaper"] = asyncio.create_task(_reaper(store))
    print(up_line(application.bot.username, store.settings,
                  application.bot_data.get("workers")), file=sys.stderr, flush=True)


def up_line(username: str, settings: Settings, workers: int | None = None) -> str:
    """The one line that says the bot is up: its name, how it gets updates, its workers."""
    how = f"webhook at {settings.webhook_url}" if settings.webhook_url else "long polling"
    count = f", {workers} worker{'s' if workers != 1 else ''}" if workers is not None else ""
    return f"moji: @{username} is up ({how}{count}). Ctrl-C stops it."


async def _menu_button(application: Application) -> None:
    """The menu button opens the Mini App editor when MOJI_WEBAPP_URL is set (worker.webapp)."""
    from telegram import MenuButtonWebApp, WebAppInfo

    from worker.webapp import menu_button

    button = menu_button()
    if button is None:
        return
    try:
        await application.bot.set_chat_menu_button(menu_button=MenuButtonWebApp(
            button["text"], WebAppInfo(button["web_app"]["url"])))
    except Exception as exc:  # not fatal: /me's button opens it too
        log.warning("setChatMenuButton failed: %s", exc)


async def _post_stop(application: Application) -> None:
    task = application.bot_data.pop("reaper", None)
    if task:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def build_application(settings: Settings, store: Store | None = None) -> Application:
    """The bot with all its handlers, talking to `settings.base_url`."""
    builder = ApplicationBuilder()
    if settings.bot_http == "aiohttp":  # bot/request.py says why; httpx is the library's own
        builder = builder.request(AiohttpRequest()).get_updates_request(
            AiohttpRequest(connections=1))
    application = (
        builder
        .token(settings.token)
        .base_url(settings.base_url)
        .base_file_url(settings.base_file_url)
        .defaults(Defaults(do_quote=True))  # replies quote the photo, in private chats too
        .concurrent_updates(64)
        .rate_limiter(AIORateLimiter(max_retries=3))
        .post_init(_post_init)
        .post_stop(_post_stop)
        .build()
    )
    application.bot_data["store"] = store or Store(settings)

    private = filters.ChatType.PRIVATE
    image = filters.PHOTO | filters.Document.IMAGE
    # an animation (a GIF) comes with its `document` too: these handlers go before the others
    clips = (filters.VIDEO_NOTE | filters.VIDEO | filters.ANIMATION | filters.Document.VIDEO
             | filters.Document.GIF)
    emoji_caption = filters.CaptionRegex(r"^/emoji(@\w+)?(\s|$)")
    mentions = filters.Entity("mention") | filters.CaptionEntity("mention")
    fresh = ~filters.UpdateType.EDITED  # an edit is not a new request (handlers.edited_photo)
    other = ((filters.TEXT & ~filters.COMMAND) | filters.VOICE | filters.AUDIO
             | filters.Sticker.ALL | filters.LOCATION | filters.CONTACT)

    application.add_handler(TypeHandler(Update, _count_update), group=-2)  # metrics
    # group -1 runs first for every update: it sets the language the other handlers speak
    application.add_handler(TypeHandler(Update, handlers.set_language), group=-1)
    application.add_handler(CommandHandler("start", handlers.start))
    application.add_handler(CommandHandler("help", handlers.help_command))
    application.add_handler(CommandHandler("me", handlers.me_command))
    application.add_handler(CommandHandler("forget", handlers.forget_command))
    application.add_handler(CommandHandler("style", handlers.style_command))
    application.add_handler(CommandHandler("pack", handlers.pack_command))
    application.add_handler(CommandHandler("stats", handlers.stats_command))
    application.add_handler(CommandHandler("language", handlers.language_command))
    application.add_handler(CommandHandler("emoji", handlers.emoji_command, filters=fresh))
    application.add_handler(MessageHandler(filters.UpdateType.EDITED & image
                                           & (private | emoji_caption), handlers.edited_photo))
    application.add_handler(MessageHandler(fresh & (image | clips) & emoji_caption,
                                           handlers.emoji_command))
    application.add_handler(MessageHandler(fresh & private & clips, handlers.clip))
    application.add_handler(MessageHandler(fresh & private & image, handlers.photo))
    application.add_handler(MessageHandler(fresh & private & filters.Document.ALL,
                                           handlers.not_a_photo))
    application.add_handler(MessageHandler(fresh & private & other, handlers.other_message))
    # after every CommandHandler: only the commands none of them took get here
    application.add_handler(MessageHandler(fresh & private & filters.COMMAND, unknown_command))
    application.add_handler(MessageHandler(fresh & filters.ChatType.GROUPS & mentions,
                                           handlers.mention))
    application.add_handler(CallbackQueryHandler(handlers.style_button, pattern=f"^{STYLE_PREFIX}"))
    application.add_handler(CallbackQueryHandler(handlers.me_button, pattern=f"^{ME_PREFIX}"))
    application.add_handler(CallbackQueryHandler(handlers.language_button,
                                                 pattern=f"^{LANGUAGE_PREFIX}"))
    application.add_handler(CallbackQueryHandler(handlers.pack_button,
                                                 pattern=f"^{PACK_PREFIX}"))
    application.add_handler(InlineQueryHandler(handlers.inline_query))
    application.add_handler(CallbackQueryHandler(handlers.unknown_button))  # answer the rest
    application.add_error_handler(handlers.error_handler)
    return application


def run(application: Application, settings: Settings) -> None:
    """Run until interrupted: a webhook when WEBHOOK_URL is set, else long polling.

    Once running, the Application retries network trouble by itself; what escapes here happened
    at start-up (getMe), and gets a plain answer instead of a traceback.
    """
    from worker import metrics

    health = metrics.start_from_env(settings.redis_url, settings.queue, "bot")
    if health is not None:
        health.require("the bot is not running (starting, or cannot reach the Bot API)",
                       lambda: application.running)
    quiet = _QuietBootstrap()  # the start-up failure is said below in one line, not traced
    logging.getLogger("telegram.ext").addFilter(quiet)
    try:
        _run(application, settings)
    except InvalidToken:
        _drop_sessions(application)
        raise SystemExit("moji: Telegram rejected the bot token. Check TELEGRAM_BOT_TOKEN "
                         "(ask @BotFather for it).") from None
    except NetworkError as exc:
        _drop_sessions(application)
        raise SystemExit(f"moji: cannot reach the Bot API server ({exc}). Check the network, "
                         "or TELEGRAM_BASE_URL if you set it.") from None
    finally:
        logging.getLogger("telegram.ext").removeFilter(quiet)


class _QuietBootstrap(logging.Filter):
    """Drops python-telegram-bot's traceback of a failed start-up (getMe, deleteWebhook):
    `run` says what went wrong in one line instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Bootstrap" not in record.getMessage()


def _drop_sessions(application: Application) -> None:
    """After a failed start-up the Application was never initialized, so never shut down: mark
    the HTTP sessions closed (nothing is open on them), else each one warns "Unclosed client
    session" at exit."""
    for request in getattr(application.bot, "_request", ()):
        session = getattr(request, "_session", None)
        if session is not None and not session.closed:
            session.detach()


def _run(application: Application, settings: Settings) -> None:
    if settings.webhook_url:
        application.run_webhook(
            listen=settings.webhook_listen, port=settings.webhook_port,
            url_path=urlparse(settings.webhook_url).path.lstrip("/"),
            webhook_url=settings.webhook_url, secret_token=settings.webhook_secret,
            allowed_updates=Update.ALL_TYPES)
    else:
        application.run_polling(allowed_updates=Update.ALL_TYPES)


def main(settings: Settings | None = None) -> int:
    """Build the bot from the environment and run it."""
    settings = settings or Settings.from_env()
    install_redaction(settings.token, settings.webhook_secret)
    run(build_application(settings), settings)
    return 0
