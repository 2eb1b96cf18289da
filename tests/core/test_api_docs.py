import json
import re

import pytest
import yaml
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db

EXPECTED_PATHS = {
    "/api/v1/auth/signup": {"post"},
    "/api/v1/profile": {"get", "patch"},
    "/api/v1/profile/password": {"post"},
    "/api/v1/profile/email/verify": {"post"},
    "/api/v1/profile/wallet": {"get", "post", "delete"},
    "/api/v1/profile/wallet/challenge": {"post"},
    "/api/v1/tokens": {"get", "post"},
    "/api/v1/tokens/{token_id}": {"delete"},
    "/api/v1/projects": {"get", "post"},
    "/api/v1/projects/{project_id}": {"get", "patch", "delete"},
    "/api/v1/projects/{project_id}/archive": {"post"},
    "/api/v1/projects/{project_id}/storyboard": {"get"},
    "/api/v1/projects/{project_id}/storyboard/scenes": {"post"},
    "/api/v1/projects/{project_id}/storyboard/versions": {"get", "post"},
    "/api/v1/projects/{project_id}/storyboard/versions/{version_id}": {"get"},
    "/api/v1/projects/{project_id}/storyboard/versions/{version_id}/restore": {"post"},
    "/api/v1/projects/{project_id}/storyboard/contributions": {"get"},
    "/api/v1/projects/{project_id}/unarchive": {"post"},
    "/api/v1/projects/{project_id}/members": {"get"},
    "/api/v1/projects/{project_id}/members/{membership_id}": {"patch", "delete"},
    "/api/v1/projects/{project_id}/invitations": {"get", "post"},
    "/api/v1/projects/{project_id}/invitations/{invitation_id}": {"delete"},
    "/api/v1/projects/{project_id}/activity": {"get"},
    "/api/v1/projects/{project_id}/jobs": {"get", "post"},
    "/api/v1/projects/{project_id}/jobs/{job_id}": {"get"},
    "/api/v1/projects/{project_id}/jobs/{job_id}/cancel": {"post"},
    "/api/v1/generation/usage": {"get"},
    "/api/v1/generation/presets": {"get"},
    "/api/v1/models": {"get"},
    "/api/v1/models/{name}": {"get", "delete"},
    "/api/v1/models/{name}/install": {"post"},
    "/api/v1/projects/{project_id}/works": {"get", "post"},
    "/api/v1/works": {"get", "post"},
    "/api/v1/verify": {"get", "post"},
    "/api/v1/works/{work_id}": {"get"},
    "/api/v1/works/{work_id}/owners": {"put"},
    "/api/v1/works/{work_id}/submit": {"post"},
    "/api/v1/works/{work_id}/confirm": {"post"},
    "/api/v1/works/{work_id}/offers": {"get", "post"},
    "/api/v1/offers/{offer_id}": {"get"},
    "/api/v1/offers/{offer_id}/approve": {"post"},
    "/api/v1/offers/{offer_id}/close": {"post"},
    "/api/v1/offers/{offer_id}/purchases": {"post"},
    "/api/v1/licences": {"get"},
    "/api/v1/earnings": {"get"},
    "/api/v1/earnings/withdrawals": {"post"},
    "/api/v1/reviews": {"get"},
    "/api/v1/reviews/{review_id}/approve": {"post"},
    "/api/v1/reviews/{review_id}/decline": {"post"},
    "/api/v1/gallery/feed": {"get"},
    "/api/v1/gallery/signals": {"post"},
    "/api/v1/gallery/tags": {"get"},
    "/api/v1/gallery/preferences": {"get", "put"},
    "/api/v1/gallery/onboarding": {"post"},
    "/api/v1/gallery/collections": {"get"},
    "/api/v1/gallery/collections/{collection_id}": {"get"},
    "/api/v1/gallery/liked": {"get"},
    "/api/v1/moderation": {"get", "post"},
    "/api/v1/moderation/{publication_id}": {"get"},
    "/api/v1/notifications": {"get"},
    "/api/v1/notifications/unread-count": {"get"},
    "/api/v1/notifications/read-all": {"post"},
    "/api/v1/notifications/email": {"get", "put"},
    "/api/v1/notifications/{notification_id}/read": {"post"},
    "/api/v1/gallery/works/{publication_id}": {"get", "patch"},
    "/api/v1/gallery/works/{publication_id}/media/{name}": {"get"},
    "/api/v1/gallery/works/{publication_id}/like": {"post", "delete"},
    "/api/v1/gallery/works/{publication_id}/save": {"post", "delete"},
    "/api/v1/gallery/works/{publication_id}/hide": {"post", "delete"},
    "/api/v1/gallery/works/{publication_id}/report": {"post"},
    "/api/v1/gallery/works/{publication_id}/moderate": {"post"},
    "/api/v1/gallery/works/{publication_id}/remix": {"post"},
    "/api/v1/gallery/colours": {"get"},
    "/api/v1/projects/{project_id}/publish/{asset_id}/reception": {"get"},
    "/api/v1/gallery/works/{publication_id}/reviews": {"get", "post"},
    "/api/v1/gallery/reviews/reported": {"get"},
    "/api/v1/gallery/reviews/{review_id}": {"get", "patch", "delete"},
    "/api/v1/gallery/reviews/{review_id}/replies": {"get"},
    "/api/v1/gallery/reviews/{review_id}/report": {"post"},
    "/api/v1/gallery/reviews/{review_id}/moderate": {"post"},
    "/api/v1/gallery/creators/{username}": {"get"},
    "/api/v1/gallery/creators/{username}/works": {"get"},
    "/api/v1/gallery/creators/{username}/follow": {"post", "delete"},
    "/api/v1/projects/{project_id}/publications": {"get", "post"},
    "/api/v1/projects/{project_id}/assets": {"get"},
    "/api/v1/projects/{project_id}/assets/{asset_id}": {"get"},
    "/api/v1/projects/{project_id}/assets/{asset_id}/remix": {"post"},
    "/api/v1/projects/{project_id}/assets/{asset_id}/aesthetics": {"get"},
    "/api/v1/works/{work_id}/aesthetics": {"get"},
    "/api/v1/projects/{project_id}/assets/{asset_id}/{name}": {"get"},
    "/api/v1/webhooks": {"get", "post"},
    "/api/v1/webhooks/{webhook_id}": {"delete"},
    "/v1/videos": {"get", "post"},
    "/v1/videos/{video_id}": {"get", "delete"},
    "/v1/videos/{video_id}/remix": {"post"},
    "/v1/videos/{video_id}/content": {"get"},
    "/api/v1/invitations": {"get"},
    "/api/v1/invitations/{invitation_id}/accept": {"post"},
    "/api/v1/invitations/{invitation_id}/decline": {"post"},
}


def test_schema_lists_every_endpoint() -> None:
    response = Client().get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Storyloom API"
    paths = {path: set(ops) - {"parameters"} for path, ops in schema["paths"].items()}
    assert paths == EXPECTED_PATHS
    schemes = schema["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    assert "cookieAuth" in schemes
    profile = schema["paths"]["/api/v1/profile"]["get"]
    assert {"bearerAuth": []} in profile["security"]
    signup = schema["paths"]["/api/v1/auth/signup"]["post"]
    assert signup.get("security", []) in ([], [{}])


def test_schema_as_json() -> None:
    response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert "/api/v1/projects" in json.loads(response.content)["paths"]


def test_schema_generates_without_warnings(tmp_path) -> None:
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert "/api/v1/projects/{project_id}/members" in yaml.safe_load(out.read_text())["paths"]


def test_docs_are_served_without_a_cdn() -> None:
    client = Client()
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html.lower()
    for cdn in ("cdn.jsdelivr", "unpkg.com", "cdnjs", "googleapis"):
        assert cdn not in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets
    for url in assets:
        assert not re.match(r"^(https?:)?//", url), url
    sidecar = [url for url in assets if url.startswith("/static/drf_spectacular_sidecar/")]
    assert any(url.endswith(".js") for url in sidecar), assets
    assert any(url.endswith(".css") for url in sidecar), assets
    for url in sidecar:
        asset = client.get(url)
        assert asset.status_code == 200, url
        body = b"".join(asset.streaming_content) if asset.streaming else asset.content
        assert len(body) > 100, url
