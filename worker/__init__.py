"""Moji's workers: RQ jobs that turn queued photos into stickers and send them back.

`moji worker` runs one worker process (see worker.runtime); job functions live in worker.jobs.
"""
