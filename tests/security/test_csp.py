"""Issue 12: a Content-Security-Policy in every configuration, and pages that live within it.

The policy (django-csp) allows scripts, styles, fonts and connections from our own origin only,
images and media from it (plus data:/blob:, and the object-storage endpoint when media lives
there), no plugins, no framing. Templates hold no inline scripts, styles or event handlers, and a
real browser reports no violation on the main pages (tests/e2e/test_csp_pages.py)."""

import json
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client

from kernel.paths import BASE_DIR
from tests.projects.factories import project_with_team

TEMPLATES = BASE_DIR / "templates"
SETTINGS = BASE_DIR / "platform" / "core" / "settings"


def policy(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


@pytest.mark.django_db
def test_every_response_carries_the_policy_and_nosniff() -> None:
    team = project_with_team()
    client = Client()
    client.force_login(team.owner)
    for url in ("/accounts/login/", f"/projects/{team.project.pk}/", "/gallery/", "/verify/", "/api/docs/",
                "/api/schema/", "/no-such-page/"):
        response = client.get(url)
        assert response.status_code in (200, 302, 404), url
        directives = policy(response["Content-Security-Policy"])
        assert directives["default-src"] == ["'self'"], url
        assert directives["script-src"] == ["'self'"] and directives["style-src"] == ["'self'"], url
        assert directives["object-src"] == ["'none'"] and directives["frame-ancestors"] == ["'none'"], url
        assert directives["base-uri"] == ["'self'"] and directives["form-action"] == ["'self'"], url
        assert set(directives["img-src"]) == {"'self'", "data:", "blob:"}, url
        assert set(directives["media-src"]) == {"'self'", "blob:"} and directives["connect-src"] == ["'self'"]
        assert response["X-Content-Type-Options"] == "nosniff", url
    assert settings.SECURE_CONTENT_TYPE_NOSNIFF is True


def test_no_settings_module_turns_the_protections_off() -> None:
    for module in SETTINGS.glob("*.py"):
        text = module.read_text()
        for forbidden in ("SECURE_CONTENT_TYPE_NOSNIFF = False", "CONTENT_SECURITY_POLICY = None",
                          "unsafe-inline", "unsafe-eval", "SERVE_MEDIA"):
            assert forbidden not in text, f"{module.name}: {forbidden}"


def test_media_on_object_storage_is_allowed_from_its_endpoint() -> None:
    env = {**os.environ, "MEDIA_S3_BUCKET": "storyloom-media", "MEDIA_S3_ENDPOINT_URL": "https://minio.example:9000/",
           "PYTHONPATH": os.pathsep.join([str(BASE_DIR), str(BASE_DIR / "platform")])}
    out = subprocess.run([sys.executable, "-c", "import json, core.settings.base as s; "
                          "print(json.dumps(s.CONTENT_SECURITY_POLICY['DIRECTIVES'], default=repr))"],
                         env=env, cwd=BASE_DIR, capture_output=True, text=True, check=True).stdout
    directives = json.loads(out.strip().splitlines()[-1])
    assert "https://minio.example:9000" in directives["img-src"]
    assert "https://minio.example:9000" in directives["media-src"]
    assert directives["script-src"] == ["'self'"]


INLINE = ((r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", "inline script"),
          (r"<style\b", "style element"), (r"\sstyle=", "style attribute"),
          (r"\son[a-z]+=", "event handler"), (r"javascript:", "javascript: URL"))


def test_templates_hold_no_inline_scripts_styles_or_handlers() -> None:
    problems = []
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        for pattern, what in INLINE:
            for match in re.finditer(pattern, text):
                problems.append(f"{template.relative_to(TEMPLATES)}: {what}: {match.group(0)[:60]}")
    assert not problems, "\n".join(problems)
