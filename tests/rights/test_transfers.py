"""Transfers and licences on a registered work, signed by the owners' own custodial keys (which
the platform funds with gas money when they lack it), against a real anvil."""


import pytest

from accounts.models import User
from kernel.errors import Conflict, NotFound, ValidationFailed
from rights.chain.client import registry, web3
from rights.keys import user_address
from rights.merkle import state_hash
from rights.models import ChainTx, LicenceStatus, Owner, TxStatus, Work
from rights.services import licence_grant, licence_revoke, share_transfer
from tests.projects.factories import UserFactory
from tests.rights.helpers import settle

pytestmark = pytest.mark.django_db



def chain_state(work: Work) -> bytes:
    return bytes(registry().functions.stateOf(bytes.fromhex(work.sha256)).call())


def test_an_owner_transfers_part_of_a_share_to_another_person(registered):
    work, ada, ben = registered
    assert web3().eth.get_balance(user_address(ada.pk)) == 0  # the platform pays her gas
    share_transfer(work_id=work.public_id, user=ada, bps=3000, to_user_id=ben.pk)
    with pytest.raises(ValidationFailed, match="from 1 to 7000"):  # 3,000 already on their way
        share_transfer(work_id=work.public_id, user=ada, bps=7001, to_user_id=ben.pk)
    settle()
    owners = [(o.user, o.bps) for o in work.owners.order_by("position")]
    assert owners == [(ada, 7000), (ben, 3000)]
    assert chain_state(work) == state_hash([user_address(ada.pk), user_address(ben.pk)], [7000, 3000])
    assert ChainTx.objects.filter(function="fund", status=TxStatus.CONFIRMED).count() == 1
    # Ben can now pass his whole share on; he leaves the owners.
    share_transfer(work_id=work.public_id, user=ben, bps=3000, to_address="0x" + "5e" * 20)
    settle()
    assert [(o.user, o.address.lower(), o.bps) for o in work.owners.order_by("position")] == [
        (ada, user_address(ada.pk).lower(), 7000), (None, "0x" + "5e" * 20, 3000)]


def test_owners_grant_and_revoke_licences_that_the_chain_answers_for(registered):
    work, ada, ben = registered
    with pytest.raises(NotFound):
        licence_grant(work_id=work.public_id, user=ben, terms="Festival screenings", licensee_user_id=ben.pk)
    licence = licence_grant(work_id=work.public_id, user=ada, terms="Festival screenings in 2027",
                            licensee_user_id=ben.pk)
    settle()
    licence.refresh_from_db()
    assert licence.status == LicenceStatus.ACTIVE
    contract = registry()
    assert contract.functions.licenceValid(bytes.fromhex(licence.licence_id[2:])).call()
    licence_revoke(licence_id=licence.licence_id, user=ada)
    settle()
    licence.refresh_from_db()
    assert licence.status == LicenceStatus.REVOKED
    assert not contract.functions.licenceValid(bytes.fromhex(licence.licence_id[2:])).call()
    with pytest.raises(Conflict):
        licence_revoke(licence_id=licence.licence_id, user=ada)


def test_nothing_moves_before_the_work_is_registered(platform_chain):
    ada: User = UserFactory()
    work = Work.objects.create(title="Draft", created_by=ada, mime="image/png", size=1, sha256="ab" * 32,
                               iscc="ISCC:X", terms_sha256="0" * 64)
    Owner.objects.create(work=work, user=ada, address=user_address(ada.pk), bps=10_000)
    with pytest.raises(Conflict, match="not registered"):
        share_transfer(work_id=work.public_id, user=ada, bps=10, to_address="0x" + "5e" * 20)
