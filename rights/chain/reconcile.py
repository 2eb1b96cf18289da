"""Differences between what the database says and what the chain says, for every registered
work (owners and shares against `stateOf`), batch (`anchoredAt`) and licence (`licenceValid`)."""

from dataclasses import dataclass

from rights.chain.client import registry
from rights.merkle import state_hash
from rights.models import Batch, BatchStatus, Licence, LicenceStatus, RegistrationMode, Work, WorkStatus


@dataclass(frozen=True)
class Difference:
    kind: str  # work, batch, licence
    ref: str
    database: str
    chain: str


def differences() -> list[Difference]:
    contract = registry()
    found = []
    registered = Work.objects.filter(status=WorkStatus.REGISTERED, mode=RegistrationMode.SINGLE)
    for work in registered.prefetch_related("owners"):
        owners = sorted(work.owners.all(), key=lambda o: (o.position, o.id))
        expected = state_hash([o.address for o in owners], [o.bps for o in owners])
        actual = bytes(contract.functions.stateOf(bytes.fromhex(work.sha256)).call())
        if actual != expected:
            found.append(Difference("work", work.public_id, "0x" + expected.hex(),
                                    "not registered" if actual == bytes(32) else "0x" + actual.hex()))
    for batch in Batch.objects.filter(status=BatchStatus.ANCHORED):
        if not contract.functions.anchoredAt(bytes.fromhex(batch.root[2:])).call():
            found.append(Difference("batch", batch.root, "anchored", "not anchored"))
    for licence in Licence.objects.filter(status__in=[LicenceStatus.ACTIVE, LicenceStatus.REVOKED]):
        valid = contract.functions.licenceValid(bytes.fromhex(licence.licence_id[2:])).call()
        expired = licence.expires_at is not None and not valid and licence.status == LicenceStatus.ACTIVE
        if valid != (licence.status == LicenceStatus.ACTIVE) and not expired:
            found.append(Difference("licence", licence.licence_id, licence.status,
                                    "valid" if valid else "not valid"))
    return found
