"""The demo `make up` creates: three people with their roles and a storyboard to render."""

import pytest

from accounts.models import User
from collab.selectors import storyboard_get
from core.demo import DEMO_PROJECT, DEMO_SCENES, demo_ensure
from projects.models import Project

pytestmark = pytest.mark.django_db


def test_the_demo_project_has_its_people_and_a_six_scene_storyboard(tmp_path):
    creds, created = demo_ensure(credentials_path=tmp_path / "demo.json")
    assert created and set(creds) == {"ada", "ben", "chen"}
    project = Project.objects.get(name=DEMO_PROJECT)
    roles = dict(project.memberships.values_list("user__username", "role"))
    assert roles == {"ada": "owner", "ben": "editor", "chen": "viewer"}
    board = storyboard_get(project=project, user=project.memberships.get(role="viewer").user)
    scenes = [(scene["prompt"], scene["duration"]) for scene in board["scenes"]]
    assert scenes == [(prompt, float(seconds)) for prompt, seconds, _ in DEMO_SCENES]
    assert demo_ensure(credentials_path=tmp_path / "demo.json") == (creds, False)  # once only


@pytest.mark.django_db(transaction=True)
def test_the_demo_team_gets_money_to_buy_licences_on_the_embedded_chain(tmp_path, platform_chain):
    from core.demo import demo_fund
    from rights.chain.client import stablecoin, web3
    from rights.keys import user_address

    demo_ensure(credentials_path=tmp_path / "demo-credentials.json")
    assert len(demo_fund()) == 3
    for name in ("ada", "ben", "chen"):
        address = user_address(User.objects.get(username=name).pk)
        assert web3().eth.get_balance(address) == platform_chain.DEMO_FUNDS_WEI
        assert stablecoin().functions.balanceOf(address).call() == platform_chain.DEMO_FUNDS_STABLECOIN
    assert demo_fund() == []  # topped up already
    platform_chain.EMBEDDED_CHAIN = False
    assert demo_fund() == []  # never on a real network
