"""docker-compose.yml and the Dockerfile, checked without a Docker engine."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from moji.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_services_and_their_commands_are_real_moji_commands():
    services = compose()["services"]
    assert {name for name, s in services.items() if not s.get("profiles")} == \
        {"redis", "bot", "worker"}
    parser = build_parser()
    for name in ("bot", "worker", "worker-gpu"):
        command = services[name]["command"]
        assert command[0] == "moji" and command[1] == name.split("-")[0]
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


def test_cpu_workers_by_default_gpu_workers_reserve_a_gpu_and_both_scale():
    services = compose()["services"]
    worker, gpu = services["worker"], services["worker-gpu"]
    assert "deploy" not in worker and worker["environment"]["MOJI_DEVICE"] == "cpu"
    (device,) = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert device["driver"] == "nvidia" and "gpu" in device["capabilities"]
    assert gpu["environment"]["MOJI_DEVICE"] == "cuda" and gpu["profiles"] == ["gpu"]
    assert gpu["build"]["args"]["DEVICE"] == "cuda" and gpu["image"] == "moji:cuda"
    # `--scale worker=N` needs no fixed name and no host port
    for service in (worker, gpu):
        assert "container_name" not in service and "ports" not in service
        assert service["environment"]["REDIS_URL"] == "${REDIS_URL:-redis://redis:6379/0}"


# --- `docker-compose config`: the file and each profile, resolved by Compose itself -------------

PROFILES = {(): {"redis", "bot", "worker"},
            ("gpu",): {"redis", "bot", "worker", "worker-gpu"},
            ("sentinel",): {"redis", "bot", "worker", "redis-replica", "sentinel1", "sentinel2",
                            "sentinel3"}}


def compose_config(*profiles: str, **env: str) -> dict:
    """What `docker-compose [--profile P] config` makes of the file (it needs no engine)."""
    binary = shutil.which("docker-compose")
    if not binary:
        pytest.skip("docker-compose is not installed (Debian: apt install docker-compose)")
    args = [binary, "-f", str(ROOT / "docker-compose.yml")]
    for profile in profiles:
        args += ["--profile", profile]
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("MOJI_", "REDIS_"))}
    environ.update(TELEGRAM_BOT_TOKEN="123:abc", **env)
    done = subprocess.run([*args, "config"], capture_output=True, text=True, env=environ,
                          cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)


def started(config: dict, profiles: tuple[str, ...]) -> set[str]:
    """The services `up` starts with these profiles: those without a profile, and those of one
    of them (Compose 1.29's `config` lists every service, with its profiles)."""
    return {name for name, s in config["services"].items()
            if not s.get("profiles") or set(s["profiles"]) & set(profiles)}


@pytest.mark.parametrize("profiles", list(PROFILES), ids=lambda p: "+".join(p) or "default")
def test_compose_config_validates_each_profile(profiles):
    config = compose_config(*profiles)
    assert started(config, profiles) == PROFILES[profiles]
    assert set(config["profiles"] if "profiles" in config else ()) <= {"gpu", "sentinel"}
    for name in started(config, profiles):
        depends = config["services"][name].get("depends_on", {})
        assert set(depends) <= started(config, profiles), (name, depends)


def test_compose_refuses_to_start_without_a_token():
    binary = shutil.which("docker-compose")
    if not binary:
        pytest.skip("docker-compose is not installed")
    environ = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    done = subprocess.run([binary, "-f", str(ROOT / "docker-compose.yml"), "config"],
                          capture_output=True, text=True, env=environ, timeout=60)
    assert done.returncode != 0 and "TELEGRAM_BOT_TOKEN" in done.stderr


def test_sentinel_profile_and_redis_url():
    url = "redis+sentinel://sentinel1:26379,sentinel2:26379,sentinel3:26379/moji/0"
    config = compose_config("sentinel", REDIS_URL=url)
    services = config["services"]
    for name in ("bot", "worker", "worker-gpu"):
        assert services[name]["environment"]["REDIS_URL"] == url
    assert "--replicaof redis 6379" in " ".join(services["redis-replica"]["command"])
    hosts = {services[f"sentinel{i}"]["hostname"] for i in (1, 2, 3)}
    assert hosts == {"sentinel1", "sentinel2", "sentinel3"}
    volumes = {tuple(services[f"sentinel{i}"]["volumes"][0].values()) if isinstance(
        services[f"sentinel{i}"]["volumes"][0], dict) else services[f"sentinel{i}"]["volumes"][0]
        for i in (1, 2, 3)}
    assert len(volumes) == 3  # each sentinel rewrites a config file of its own
    script = services["sentinel1"]["command"][-1]
    assert "sentinel monitor moji redis 6379 2" in script and "--sentinel" in script
    # the URL's service name and sentinels are those the profile runs
    from worker.config import parse_sentinel_url

    target = parse_sentinel_url(url)
    assert target.service == "moji" and {h for h, _ in target.sentinels} == hosts
    # without REDIS_URL the services use the single Redis
    assert compose_config()["services"]["bot"]["environment"]["REDIS_URL"] == \
        "redis://redis:6379/0"


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


def test_dockerfile_builds_cpu_by_default_and_cuda_on_a_build_argument():
    text = (ROOT / "Dockerfile").read_text()
    assert "ARG DEVICE=cpu" in text
    assert "download.pytorch.org/whl/cpu" in text  # CPU torch: no CUDA libraries in the image
    # DEVICE=cuda: torch with CUDA, from PyTorch's CUDA wheel index
    assert "download.pytorch.org/whl/${TORCH_CUDA}" in text and "ARG TORCH_CUDA=cu" in text
    assert "MOJI_DEVICE=${DEVICE}" in text
