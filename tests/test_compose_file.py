"""docker-compose.yml and the Dockerfile, checked without a Docker engine."""

from __future__ import annotations

from pathlib import Path

import yaml

from moji.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_services_and_their_commands_are_real_moji_commands():
    services = compose()["services"]
    assert set(services) == {"redis", "bot", "worker"}
    parser = build_parser()
    for name in ("bot", "worker"):
        command = services[name]["command"]
        assert command[0] == "moji" and command[1] == name
        assert callable(parser.parse_args(command[1:]).func)


def test_redis_is_persistent_and_healthchecked():
    redis = compose()["services"]["redis"]
    command = " ".join(redis["command"])
    assert "--appendonly yes" in command
    assert any(v.endswith(":/data") for v in redis["volumes"])
    assert "redis-data" in compose()["volumes"]
    assert redis["healthcheck"]["test"][-1] == "ping"
    for name in ("bot", "worker"):
        depends = compose()["services"][name]["depends_on"]
        assert depends["redis"]["condition"] == "service_healthy"


def test_workers_reserve_a_gpu_and_can_scale():
    worker = compose()["services"]["worker"]
    (device,) = worker["deploy"]["resources"]["reservations"]["devices"]
    assert device["driver"] == "nvidia" and "gpu" in device["capabilities"]
    # `--scale worker=N` needs no fixed name and no host port
    assert "container_name" not in worker and "ports" not in worker
    assert worker["environment"]["REDIS_URL"] == "redis://redis:6379/0"


def test_settings_come_from_the_environment_not_the_file():
    services = compose()["services"]
    for name in ("bot", "worker"):
        env = services[name]["environment"]
        for key in ("TELEGRAM_BOT_TOKEN", "REDIS_URL", "TELEGRAM_BASE_URL",
                    "TELEGRAM_BASE_FILE_URL", "ADMIN_IDS"):
            assert key in env
        assert env["TELEGRAM_BOT_TOKEN"].startswith("${TELEGRAM_BOT_TOKEN")
    assert services["bot"]["environment"]["WEBHOOK_URL"].startswith("${WEBHOOK_URL")


def test_dockerfile_installs_moji_and_its_native_libraries():
    text = (ROOT / "Dockerfile").read_text()
    assert text.startswith("#") and "FROM python:3.11" in text
    assert "pip install ." in text and "libcairo2" in text
    assert 'CMD ["moji", "run"]' in text
    assert compose()["services"]["bot"]["build"] == "."
