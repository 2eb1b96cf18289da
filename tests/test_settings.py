"""Production settings pass Django's deployment checklist and refuse to start unconfigured."""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DJANGO_SETTINGS_MODULE")}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True,
                          text=True, env={**base, **env}, timeout=120)


PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "core.settings.production",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/storyloom",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "ALLOWED_HOSTS": "storyloom.example",
}


def test_check_deploy_is_clean_with_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING",
                     SECRET_KEY=secrets.token_urlsafe(50), **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_secret_key():
    result = _manage("check", **PRODUCTION)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_keeps_object_storage_and_hashes_the_bundles(tmp_path):
    env = {**PRODUCTION, "SECRET_KEY": secrets.token_urlsafe(50), "MEDIA_S3_BUCKET": "storyloom-media",
           "STATIC_ROOT": str(tmp_path / "static")}
    shown = _manage("shell", "-c", "from django.conf import settings; print(settings.STORAGES['default'])",
                    **env)
    assert "storages.backends.s3.S3Storage" in shown.stdout, shown.stderr
    collected = _manage("collectstatic", "--noinput", **env)
    assert collected.returncode == 0, collected.stderr
    manifest = json.loads((tmp_path / "static/staticfiles.json").read_text())["paths"]
    for name in ("base", "account", "project", "studio", "rights", "gallery", "storyboard"):
        hashed = manifest[f"js/{name}.bundle.js"]
        assert re.fullmatch(rf"js/{name}\.bundle\.[0-9a-f]{{12}}\.js", hashed), hashed
        # Each bundle imports nothing: served under its hashed name exactly as it was built.
        built = (ROOT / "static/js" / f"{name}.bundle.js").read_bytes()
        assert (tmp_path / "static" / hashed).read_bytes() == built, hashed
