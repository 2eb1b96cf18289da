"""The deployment files (deploy/) say what README's "Deploying and operating" says, and the tools
that run here accept them: HAProxy checks its configuration; docker-compose, where installed,
renders the compose file (no Docker daemon runs here: the image is not built by the tests)."""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from core.management.commands.up import haproxy_config

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
ENV = {"SECRET_KEY": "x", "POSTGRES_PASSWORD": "x", "ALLOWED_HOSTS": "example.org",
       "SITE_URL": "https://example.org", "HEALTH_TOKEN": "x", "CHAIN_RPC_URL": "https://rpc.example.org",
       "CHAIN_ID": "8453",
       "REGISTRY_ADDRESS": "0x" + "0" * 39 + "1", "CHAIN_PRIVATE_KEY": "0x01", "MEDIA_S3_BUCKET": "media"}


def test_the_compose_file_is_the_production_topology():
    services = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    assert {"lb", "web", "worker-gpu", "worker", "beat", "migrate", "postgres", "redis"} <= set(services)
    assert services["web"]["deploy"]["replicas"] == 2
    assert services["beat"]["deploy"]["replicas"] == 1  # twice would queue every periodic task twice
    queues = {name: services[name]["command"][services[name]["command"].index("-Q") + 1]
              for name in ("worker-gpu", "worker")}
    assert queues == {"worker-gpu": "gpu", "worker": "default,chain,webhooks"}
    gpu = services["worker-gpu"]["deploy"]["resources"]["reservations"]["devices"][0]
    assert gpu["capabilities"] == ["gpu"]
    web = services["web"]["command"]
    assert "--no-proxy-headers" in web and "--ws-max-size" in web
    assert services["web"]["environment"]["TRUSTED_PROXIES"] == "1"  # HAProxy's X-Forwarded-For
    assert services["web"]["environment"]["LOG_FORMAT"] == "json"


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy is not installed")
@pytest.mark.parametrize("config", ["deploy", "cluster"])
def test_haproxy_accepts_both_balancer_configurations(config, tmp_path):
    path = DEPLOY / "haproxy.cfg"
    if config == "cluster":
        path = tmp_path / "haproxy.cfg"
        path.write_text(haproxy_config(host="127.0.0.1", port=8000, servers=[8001, 8002]))
    checked = subprocess.run(["haproxy", "-c", "-f", str(path)], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose is not installed")
def test_docker_compose_renders_the_file_and_refuses_it_without_its_secrets(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in ENV.items()))
    compose = ["docker-compose", "-f", str(DEPLOY / "compose.yaml")]
    rendered = subprocess.run([*compose, "--env-file", str(env_file), "config"], capture_output=True,
                              text=True, timeout=60)
    assert rendered.returncode == 0, rendered.stderr
    gpu = yaml.safe_load(rendered.stdout)["services"]["worker-gpu"]
    assert gpu["environment"]["WORKER_METRICS_PORT"] == "9808"
    (tmp_path / "empty.env").write_text("")
    missing = subprocess.run([*compose, "--env-file", str(tmp_path / "empty.env"), "config"],
                             capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin"})
    assert missing.returncode != 0 and "set SECRET_KEY" in missing.stderr
