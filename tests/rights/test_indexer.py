"""The chain read back: events indexed once, owners and licences following them, and
`rights_reconcile` reporting any difference between the database and the chain."""

import pytest
from django.core.management import CommandError, call_command

from rights.chain.indexer import index_events
from rights.keys import user_address
from rights.models import ChainCursor, ChainEvent, Licence, LicenceStatus, Owner
from rights.services import licence_grant, share_transfer
from tests.rights.helpers import settle

pytestmark = pytest.mark.django_db


def test_events_are_indexed_once_and_the_database_follows_them(registered):
    work, ada, ben = registered
    share_transfer(work_id=work.public_id, user=ada, bps=2500, to_user_id=ben.pk)
    licence = licence_grant(work_id=work.public_id, user=ada, terms="Screenings", licensee_user_id=ben.pk)
    settle()
    assert index_events() >= 4
    names = list(ChainEvent.objects.filter(content_hash=work.sha256).values_list("name", flat=True))
    assert names == ["WorkRegistered", "ShareTransferred", "OwnersChanged", "LicenceGranted"]
    registration = ChainEvent.objects.get(content_hash=work.sha256, name="WorkRegistered").args
    assert [registration[key] for key in ("iscc", "termsHash", "owners", "shares")] == [
        work.iscc, f"0x{work.terms_sha256}", [user_address(ada.pk)], [10_000]]  # the registering input's
    assert index_events() == 0  # nothing new: nothing stored twice
    # The database lost track of the licence and the owners: the chain's events put them back.
    Licence.objects.filter(pk=licence.pk).update(status=LicenceStatus.PENDING)
    ChainEvent.objects.filter(name__in=["OwnersChanged", "LicenceGranted"]).delete()
    Owner.objects.filter(work=work, user=ben).delete()
    Owner.objects.filter(work=work, user=ada).update(bps=10_000)
    with pytest.raises(CommandError, match="differences"):  # (the cursor is past them: reported)
        call_command("rights_reconcile")
    ChainCursor.objects.update(block=0)
    call_command("rights_reconcile")  # re-read from the start: the database follows the chain again
    assert {(o.user, o.bps) for o in work.owners.all()} == {(ada, 7500), (ben, 2500)}
    licence.refresh_from_db()
    assert licence.status == LicenceStatus.ACTIVE
