"""A gallery card says when its work's licences are on sale, and from what price, with a link to them."""

import pytest

from rights.models import Offer, OfferStatus, Work
from tests.core.helpers import client_for
from tests.projects.factories import project_with_team
from tests.recommend.gallery_data import publish, register

pytestmark = pytest.mark.django_db


def offer(work: Work, *, price: int, status: str = OfferStatus.ACTIVE, n: int = 1) -> Offer:
    return Offer.objects.create(work=work, offer_id=f"0x{n:064x}", salt="0x" + "00" * 32, title="Licence",
                                licence="cc-by-4.0", terms="t", terms_sha256="0" * 64, currency="native",
                                token="0x" + "00" * 20, price=price, fee_bps=250, deadline=2**40,
                                status=status, proposed_by=work.created_by)


def test_the_card_shows_the_lowest_price_on_sale_and_links_to_the_offers(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    team = project_with_team()
    published = publish(team.project, team.owner, title="Harbour", tags=["sea"], seed=2)
    work = register(published.asset, team.owner)
    offer(work, price=5 * 10**16, n=1)
    offer(work, price=10**16, n=2)
    offer(work, price=10**15, status=OfferStatus.APPROVING, n=3)  # not on sale: not shown
    card = client_for(team.viewer).get(f"/api/v1/gallery/works/{published.public_id}").json()
    assert card["registration"]["licence_from"] == "0.01 ETH"
    assert card["registration"]["offers_url"] == f"/works/{work.public_id}/#offers"
    page = client_for(team.viewer).get(f"/gallery/works/{published.public_id}/").content.decode()
    assert "data-label-licence-from" in page  # what the scripts' cards say


def test_a_card_without_offers_says_nothing_of_price(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    team = project_with_team()
    published = publish(team.project, team.owner, title="Harbour", tags=["sea"], seed=2)
    register(published.asset, team.owner)
    card = client_for(team.viewer).get(f"/api/v1/gallery/works/{published.public_id}").json()
    assert card["registration"]["licence_from"] is None
