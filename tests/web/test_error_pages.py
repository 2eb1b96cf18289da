"""The site's own error pages: under `make up`'s settings (core.settings.local) an unknown URL shows
templates/404.html, never Django's debug page listing the URL patterns, while static files are
still served; the 404, 403 and 500 pages look like the site and lead home; unknown API paths
answer JSON in the API's error shape."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client, RequestFactory
from django.utils import translation

from core.error_views import permission_denied, server_error
from tests.accounts.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]

# Run inside `manage.py shell` under the local settings: the answers, as JSON on the last line.
PROBE = """
import json
from django.conf import settings
from django.test import Client
client = Client(HTTP_HOST="127.0.0.1")
page = client.get("/no-such-page/")
api = client.get("/api/v1/no-such-endpoint")
css = client.get("/static/css/base.css")
print(json.dumps({"debug": settings.DEBUG, "status": page.status_code, "page": page.content.decode(),
                  "api_status": api.status_code, "api_type": api["Content-Type"],
                  "api": api.content.decode(), "css_status": css.status_code,
                  "css_type": css.get("Content-Type", "")}))
"""


def _local(tmp_path: Path, redis_url: str, **env: str) -> dict[str, Any]:
    dropped = ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "DEBUG")
    base = {k: v for k, v in os.environ.items() if k not in dropped}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", PROBE], cwd=ROOT, capture_output=True, text=True,
        timeout=120, env={**base, "DJANGO_SETTINGS_MODULE": "core.settings.local",
                          "STORYLOOM_VAR_DIR": str(tmp_path / "var"), "REDIS_URL": redis_url, **env})
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_make_up_settings_show_the_sites_404_and_still_serve_static_files(tmp_path: Path,
                                                                          redis_server: str) -> None:
    answer = _local(tmp_path, redis_server)
    assert answer["debug"] is False
    assert answer["status"] == 404
    page = answer["page"]
    assert "Page not found" in page and 'class="error-page"' in page and 'href="/"' in page
    for debug in ("URLconf", "DEBUG = True", "Using the URLconf", "core.urls", "api/v1/"):
        assert debug not in page, debug
    assert (answer["api_status"], answer["api_type"]) == (404, "application/json")
    assert json.loads(answer["api"])["error"]["code"] == "not_found"
    assert answer["css_status"] == 200 and answer["css_type"].startswith("text/css")


def test_developers_still_get_debug_pages_when_they_ask(tmp_path: Path, redis_server: str) -> None:
    answer = _local(tmp_path, redis_server, DEBUG="1")
    assert answer["debug"] is True and answer["status"] == 404
    assert "URLconf" in answer["page"]  # Django's technical 404: DEBUG=1 make up


@pytest.mark.django_db
def test_the_404_page_looks_like_the_site_and_leads_home(client: Client) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert 'class="site-header"' in page and "css/home.css" in page
    assert "Go to the home page" in page and 'class="btn btn--primary" href="/"' in page
    client.force_login(UserFactory())
    page = client.get("/no-such-page/").content.decode()
    assert "Go to your dashboard" in page and 'class="btn btn--primary" href="/"' in page


@pytest.mark.django_db
def test_unknown_api_paths_are_json_even_when_logged_in(client: Client) -> None:
    client.force_login(UserFactory())
    response = client.get("/api/v1/nothing/here")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert set(response.json()["error"]) == {"code", "message", "fields"}


@pytest.mark.django_db
def test_the_403_page_leads_home() -> None:
    request = RequestFactory().get("/somewhere/")
    request.user = AnonymousUser()
    response = permission_denied(request, Exception("not yours"))
    page = response.content.decode()
    assert response.status_code == 403
    assert "Not allowed" in page and 'href="/"' in page and "not yours" not in page


def test_the_500_page_stands_alone_and_leads_home() -> None:
    response = server_error(RequestFactory().get("/broken/"))
    page = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in page and 'class="brand" href="/"' in page and "css/home.css" in page
    assert "Traceback" not in page and "/broken/" not in page
    with translation.override("zh-hans"):
        page = server_error(RequestFactory().get("/broken/")).content.decode()
    assert '<html lang="zh-hans">' in page and "Something went wrong" not in page


def test_an_api_500_is_json() -> None:
    response = server_error(RequestFactory().get("/api/v1/projects"))
    assert response.status_code == 500 and json.loads(response.content)["error"]["code"] == "server_error"
