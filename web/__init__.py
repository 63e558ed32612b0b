"""Moji on the web: the Telegram Mini App editor (`/app`), its API (`/api/...`) and the
playground (`/`, with `moji web --playground`). aiohttp; reads and writes the person's look in
Redis where the bot keeps it (web/looks.py) and draws it with pipeline's compositor, which needs
no model. The playground's uploads load the full pipeline, lazily, on the first photo."""
