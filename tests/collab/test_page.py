"""The storyboard page: members only, controls by role, the config the script reads."""

import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from projects.services import project_set_archived
from tests.projects.factories import project_with_team

pytestmark = pytest.mark.django_db


def _page(client: Client, user, project_id: int):
    client.force_login(user)
    return client.get(reverse("collab:storyboard", args=[project_id]))


def _config(response) -> dict:
    match = re.search(r'<script id="storyboard-config" type="application/json">(.*?)</script>',
                      response.content.decode())
    assert match, "the page has no storyboard-config"
    return json.loads(match.group(1))


def test_anonymous_visitors_are_sent_to_log_in(client: Client) -> None:
    team = project_with_team()
    response = client.get(reverse("collab:storyboard", args=[team.project.id]))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_outsiders_get_a_404(client: Client) -> None:
    team = project_with_team()
    assert _page(client, team.outsider, team.project.id).status_code == 404
    assert _page(client, team.owner, 999_999).status_code == 404


@pytest.mark.parametrize("who", ["owner", "editor"])
def test_editors_get_the_editing_controls(client: Client, who: str) -> None:
    team = project_with_team()
    response = _page(client, team.user(who), team.project.id)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="add-scene"' in html and 'id="version-form"' in html
    assert 'data-action="restore"' in html and 'id="read-only-notice"' not in html
    config = _config(response)
    assert config["can"] == {"edit": True, "save": True, "restore": True}
    assert config["wsPath"] == f"/ws/projects/{team.project.id}/storyboard"
    assert config["user"]["username"] == team.user(who).username
    assert config["csrfToken"]
    assert config["strings"]["scene_number"] == "Scene %(number)s"
    assert 'src="/static/js/storyboard.bundle.js"' in html


def test_viewers_get_a_read_only_page(client: Client) -> None:
    team = project_with_team()
    response = _page(client, team.viewer, team.project.id)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="read-only-notice"' in html
    for control in ['id="add-scene"', 'id="version-form"', 'data-action="restore"', 'data-action="delete"',
                    'data-role="comment-form"', 'data-action="move-up"', "draggable"]:
        assert control not in html, control
    assert _config(response)["can"] == {"edit": False, "save": False, "restore": False}


def test_an_archived_project_is_read_only_for_everyone(client: Client) -> None:
    team = project_with_team()
    project_set_archived(project=team.project, user=team.owner, archived=True)
    response = _page(client, team.owner, team.project.id)
    assert response.status_code == 200
    assert 'id="add-scene"' not in response.content.decode()
    assert _config(response)["can"]["edit"] is False
    assert "archived" in response.content.decode()


def test_the_page_speaks_chinese(client: Client) -> None:
    team = project_with_team()
    team.owner.preferred_language = "zh-hans"
    team.owner.save(update_fields=["preferred_language"])
    client.force_login(team.owner)
    response = client.get(reverse("collab:storyboard", args=[team.project.id]),
                          headers={"accept-language": "zh-hans"})
    html = response.content.decode()
    assert "添加场景" in html
    assert _config(response)["strings"]["status_connected"] == "实时"


def test_the_project_page_links_to_the_storyboard(client: Client) -> None:
    team = project_with_team()
    client.force_login(team.viewer)
    response = client.get(reverse("projects:detail", args=[team.project.id]))
    assert reverse("collab:storyboard", args=[team.project.id]) in response.content.decode()
