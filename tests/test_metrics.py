"""Metrics and health (issue 18, part 1), end to end: the real bot and one real worker, each
with its own MOJI_METRICS_PORT, a Redis of the test's own and the local Bot API server.

- the counters follow the photos sent: the bot's updates and photos by kind, its submissions;
  the worker's stickers, failures by error code, retries, the update-to-sticker and stage
  histograms;
- `/healthz` and `/readyz` answer 200 while all is well; once Redis goes away, `/readyz` answers
  503 within 15 s (the time is printed) while `/healthz` stays 200.

Own user ids (186x)."""

from __future__ import annotations

import time
import urllib.error
import urllib.request

import pytest
from botkit import RedisServer, Service, eventually, free_port, no_face_photo, variant
from prometheus_client.parser import text_string_to_metric_families

from moji.localapi import LocalBotAPI

ENV = {"MOJI_RATE_LIMIT": "60/60", "MOJI_RETRY_DELAYS": "1", "MOJI_LOG_LEVEL": "INFO"}


class MeteredService(Service):
    """The harness's service, each process on a metrics port of its own."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.ports: dict[str, int] = {}

    def _spawn(self, name: str, *args: str):
        self.ports[name] = free_port()
        self.env["MOJI_METRICS_PORT"] = str(self.ports[name])
        return super()._spawn(name, *args)


def get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def samples(port: int) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} of a process's /metrics."""
    status, text = get(port, "/metrics")
    assert status == 200
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(port: int, name: str, **labels: str) -> float:
    return samples(port).get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    redis_server = RedisServer()
    api = LocalBotAPI().start()
    svc = MeteredService(api, redis_server.url, workers=1,
                         logdir=tmp_path_factory.mktemp("logs"), **ENV)
    try:
        svc.start()
        yield svc, api, redis_server
    finally:
        svc.stop()
        api.stop()
        if redis_server.proc is not None:
            redis_server.close()
        else:  # the Redis test stopped it
            import shutil

            shutil.rmtree(redis_server.tmp, ignore_errors=True)


def test_counters_follow_the_photos_sent(service):
    svc, api, _redis = service
    bot, worker = svc.ports["bot"], svc.ports["worker0"]
    assert eventually(lambda: get(worker, "/readyz")[0] == 200, timeout=60), get(worker, "/readyz")
    assert get(bot, "/readyz") == (200, "ready\n")
    assert get(bot, "/healthz")[0] == 200 and get(worker, "/healthz")[0] == 200

    ann = api.user(1861, "Ann")
    photos = 3
    for i in range(photos):
        api.send_photo(ann, variant("smile.jpg", 1861 + i))
    api.send_photo(ann, no_face_photo())
    api.send_text(ann, "/help")
    api.wait_for("sendSticker", 1861, count=photos, timeout=120)
    api.wait_for("sendMessage", 1861, count=2, timeout=60)  # /help, and no face
    # a sticker whose first try fails (500s) is retried once by RQ, and sent
    api.fail_next("sendSticker", code=500, times=4)  # the client tries 4 times
    api.send_photo(ann, variant("grin.jpg", 1869))
    api.wait_for("sendSticker", 1861, count=photos + 1, timeout=120)
    svc.wait_idle()

    assert value(bot, "moji_bot_media_total", kind="photo") == photos + 2
    assert value(bot, "moji_bot_updates_total", kind="message") == photos + 3
    assert value(bot, "moji_bot_submissions_total", outcome="queued") == photos + 2
    assert eventually(lambda: value(worker, "moji_worker_stickers_total", job="make_sticker",
                                    media="photo") == photos + 1, timeout=10)
    assert value(worker, "moji_worker_failures_total", code="no_face") == 1
    assert value(worker, "moji_worker_retries_total") == 1
    assert value(worker, "moji_update_to_sticker_seconds_count", media="photo") == photos + 1
    assert value(worker, "moji_update_to_sticker_seconds_sum", media="photo") > 0
    for stage in ("get_file", "download", "render", "send", "pipeline_decode",
                  "pipeline_analyze", "pipeline_match"):
        assert value(worker, "moji_stage_seconds_count", stage=stage) == photos + 1, stage
    assert (("moji_queue_depth", ()) in samples(worker)
            and value(worker, "moji_queue_depth") == 0)
    assert value(worker, "moji_ready") == 1 and value(bot, "moji_redis_up") == 1


def test_readyz_fails_within_15_s_of_redis_going_away(service):
    svc, _api, redis_server = service
    ports = [svc.ports["bot"], svc.ports["worker0"]]
    for port in ports:
        assert get(port, "/readyz")[0] == 200
    redis_server.proc.terminate()
    redis_server.proc.wait(10)
    gone = time.monotonic()
    waited = {}
    for port in ports:
        assert eventually(lambda p=port: get(p, "/readyz")[0] == 503, timeout=15), port
        waited[port] = time.monotonic() - gone
    print(f"/readyz 503 after Redis went away: bot {waited[ports[0]]:.1f} s, "
          f"worker {waited[ports[1]]:.1f} s")
    for port in ports:
        status, body = get(port, "/readyz")
        assert status == 503 and "Redis unreachable" in body
        assert get(port, "/healthz")[0] == 200
    redis_server.proc = None  # stopped already (the fixture's close must not wait on it)


def test_compose_checks_each_service_on_its_metrics_port():
    """docker-compose.yml (no engine needed): the bot and the workers serve metrics on a port
    of their own and their health checks ask /readyz there."""
    from pathlib import Path

    import yaml

    services = yaml.safe_load((Path(__file__).resolve().parent.parent
                               / "docker-compose.yml").read_text())["services"]
    for name in ("bot", "worker"):
        port = services[name]["environment"]["MOJI_METRICS_PORT"]
        test = " ".join(services[name]["healthcheck"]["test"])
        assert f"127.0.0.1:{port}/readyz" in test, test
        assert str(port) in [str(p) for p in services[name]["expose"]]


def test_the_grafana_dashboard_uses_the_metrics_the_processes_serve():
    """Every metric a dashboard query names is one worker.metrics defines (a renamed metric
    leaves no panel silently empty)."""
    import json
    import re
    from pathlib import Path

    from prometheus_client import REGISTRY

    import worker.metrics  # noqa: F401  (registers the metrics)

    suffixes = {"counter": ("_total",), "gauge": ("",), "histogram": ("_bucket", "_count",
                                                                      "_sum")}
    served = {family.name + suffix for family in REGISTRY.collect()
              for suffix in suffixes.get(family.type, ("",))}
    dashboard = json.loads((Path(__file__).resolve().parent.parent / "docs" / "grafana"
                            / "moji-dashboard.json").read_text())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    assert len(exprs) >= 10
    named = {name for expr in exprs for name in re.findall(r"moji_[a-z_]+", expr)}
    assert named and named <= served, named - served
    for required in ("moji_worker_stickers_total", "moji_bot_media_total",
                     "moji_update_to_sticker_seconds_bucket", "moji_queue_depth",
                     "moji_worker_failures_total", "moji_stage_seconds_bucket"):
        assert required in named
