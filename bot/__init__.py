"""Moji's Telegram bot: takes selfies, queues them for the workers, and manages the person's look
(/me, /forget), styles and packs.

It never renders: handlers enqueue a job (worker.jobs) and return. It must start without torch or
mediapipe, so nothing here imports pipeline.pipeline or pipeline.analyze.
"""
