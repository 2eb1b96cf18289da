"""Writes for rights that go on chain through the outbox: registrations, batch anchors, share
transfers, licences (and the gas payments custodial keys need)."""


from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from eth_abi import encode
from eth_utils import keccak
from web3 import Web3

from accounts.selectors import user_by_id
from kernel.errors import Conflict, NotFound, ValidationFailed
from rights.allowance import chain_allowance_use
from rights.chain.queue import enqueue as _enqueue
from rights.chain.queue import fund_submit as fund_submit
from rights.events import works_announce
from rights.fingerprints import UnsupportedFile, fingerprint
from rights.keys import platform_account, user_address
from rights.models import (
    Batch,
    ChainRequest,
    ChainTx,
    Licence,
    LicenceStatus,
    Owner,
    PublishedPrint,
    RegistrationMode,
    TxStatus,
    Work,
    WorkStatus,
)
from rights.shares import TOTAL_SHARES

if TYPE_CHECKING:
    from accounts.models import User
    from generation.models import Asset

log = logging.getLogger(__name__)
NEVER_EXPIRES = 2**64 - 1  # the contract's type(uint64).max


def metadata_uri(work: Work) -> str:
    """Where the work's metadata (title, licence text, fingerprints, owners) is served, by its id:
    the URI its batch leaf commits to. (A registration's own is the registry's template, by its
    content hash: `rights.metadata.metadata_template`.)"""
    return settings.SITE_URL + reverse("rights:metadata", kwargs={"work_id": work.public_id})


@transaction.atomic
def registration_submit(*, work: Work) -> ChainTx:
    """Queue the work's registration: its content hash, ISCC code, licence terms' hash and owners
    with their shares, sent by the platform's key (its metadata URI is the registry's template).
    Asking again returns the same transaction."""
    work = Work.objects.select_for_update().get(pk=work.pk)
    owners = list(work.owners.order_by("position", "id"))
    tx = _enqueue(key=f"register:{work.sha256}", signer=platform_account().address, function="register",
                  args=[f"0x{work.sha256}", work.iscc, f"0x{work.terms_sha256}",
                        [o.address for o in owners], [o.bps for o in owners]], work=work)
    if work.status in (WorkStatus.DRAFT, WorkStatus.CONFIRMING):
        work.status = WorkStatus.QUEUED
        work.save(update_fields=["status"])
        works_announce([work.pk])
        log.info("registration of work %s queued as %s", work.public_id, tx.key)
    return tx


def batch_uri(batch: Batch) -> str:
    """Where the batch's works and proofs are listed."""
    return settings.SITE_URL + reverse("rights:batch", kwargs={"root": batch.root})


def anchor_submit(*, batch: Batch) -> ChainTx:
    """Queue the transaction that anchors the batch's Merkle root."""
    return _enqueue(key=f"anchor:{batch.root}", signer=platform_account().address, function="anchor",
                    args=[batch.root, batch.count, batch_uri(batch)], batch=batch)


def _registered_single(work: Work) -> None:
    if work.status != WorkStatus.REGISTERED:
        raise Conflict(_("The work is not registered yet (it is %(status)s).") % {
            "status": work.get_status_display()}, code="work_not_registered")
    if work.mode != RegistrationMode.SINGLE:
        raise Conflict(_("A work anchored in a batch is attested, not held on chain: register it on "
                         "its own to transfer shares or grant licences."), code="work_in_batch")


def _owned_registered(work_id: str, user: User) -> tuple[Work, Owner]:
    """The work (locked) and the user's ownership of it, for a change only its owners make once it
    is registered on its own; to anyone else the work does not exist."""
    work = Work.objects.select_for_update().filter(public_id=work_id).first()
    owner = work.owners.filter(user=user).first() if work is not None else None
    if work is None or owner is None:
        raise NotFound(_("No such work."))
    _registered_single(work)
    return work, owner


@transaction.atomic
def share_transfer(*, work_id: str, user: User, bps: int, to_user_id: int | None = None,
                   to_address: str = "") -> ChainTx:
    """Move `bps` of the user's share to another person here or an outside address; the chain
    is told by the user's own (custodial) key."""
    work, owner = _owned_registered(work_id, user)
    if to_user_id is not None:
        if user_by_id(to_user_id) is None:
            raise ValidationFailed(_("No such person."), fields={"to": [_("Choose a person or an address.")]})
        to_address = user_address(to_user_id)
    if not (to_address.startswith("0x") and len(to_address) == 42):
        raise ValidationFailed(_("Choose who receives the share."),
                               fields={"to": [_("A person or an 0x address.")]})
    if to_address.lower() == owner.address.lower():
        raise ValidationFailed(_("That is your own share."), fields={"to": [_("Choose someone else.")]})
    in_flight = work.transactions.filter(function="transferShare", signer_user=user,
                                         status__in=[TxStatus.PENDING, TxStatus.SUBMITTED])
    promised = sum(int(tx.args[4]) for tx in in_flight)
    most = owner.bps - promised  # what transfers still in flight have not taken yet
    if not 1 <= bps <= most:
        raise ValidationFailed(_("You can transfer from 1 to %(max)s basis points.") % {"max": most},
                               fields={"bps": [_("At most %(max)s.") % {"max": most}]})
    to = Web3.to_checksum_address(to_address)
    key = f"transfer:{work.sha256}:{uuid.uuid4().hex}"
    chain_allowance_use(user=user, key=key, kind=ChainRequest.TRANSFER)
    return _enqueue(key=key, signer=owner.address,
                    function="transferShare", args=[f"0x{work.sha256}", None, None, to, bps], work=work,
                    signer_user=user, meta={"to_address": to, "to_user": to_user_id})


@transaction.atomic
def licence_grant(*, work_id: str, user: User, terms: str, licensee_user_id: int | None = None,
                  licensee_address: str = "", expires_at: datetime | None = None) -> Licence:
    """A licence on the work to a person here or an outside address, granted by one of its owners."""
    work, owner = _owned_registered(work_id, user)
    if licensee_user_id is not None:
        licensee_address = user_address(licensee_user_id)
    fields: dict[str, list[str]] = {}
    if not (licensee_address.startswith("0x") and len(licensee_address) == 42):
        fields["licensee"] = [_("A person or an 0x address.")]
    if not terms.strip():
        fields["terms"] = [_("Write the licence's terms.")]
    if expires_at is not None and expires_at <= timezone.now():
        fields["expires_at"] = [_("A time in the future, or none.")]
    if fields:
        raise ValidationFailed(_("The licence needs changing."), fields=fields)
    terms_sha256 = hashlib.sha256(terms.strip().encode()).hexdigest()
    salt = "0x" + secrets.token_hex(32)
    licensee = Web3.to_checksum_address(licensee_address)
    licence_id = "0x" + keccak(encode(["bytes32", "address", "bytes32", "bytes32"], [
        bytes.fromhex(work.sha256), licensee, bytes.fromhex(terms_sha256), bytes.fromhex(salt[2:])])).hex()
    chain_allowance_use(user=user, key=f"grant:{licence_id}", kind=ChainRequest.LICENCE_GRANT)
    licence = Licence.objects.create(work=work, licence_id=licence_id, salt=salt, licensee=licensee,
                                     licensee_user_id=licensee_user_id, terms=terms.strip(),
                                     terms_sha256=terms_sha256, expires_at=expires_at, granted_by=user)
    expiry = int(expires_at.timestamp()) if expires_at else NEVER_EXPIRES
    _enqueue(key=f"grant:{licence_id}", signer=owner.address, function="grantLicence",
             args=[f"0x{work.sha256}", None, None, licensee, f"0x{terms_sha256}", expiry, salt], work=work,
             signer_user=user, meta={"licence": licence.pk})
    return licence


@transaction.atomic
def licence_revoke(*, licence_id: str, user: User) -> Licence:
    """Revoke a licence: its grantor does it at once; another owner's request counts as a vote,
    and the licence is revoked once the owners asking hold a majority of the shares."""
    licence = Licence.objects.select_for_update().filter(licence_id=licence_id).select_related("work").first()
    owner = licence.work.owners.filter(user=user).first() if licence is not None else None
    if licence is None or owner is None:
        raise NotFound(_("No such licence."))
    if licence.status != LicenceStatus.ACTIVE:
        raise Conflict(_("The licence is %(status)s.") % {"status": licence.get_status_display()},
                       code="licence_not_active")
    if licence.granted_by_id != user.pk:
        licence.revoke_votes = {**licence.revoke_votes, str(user.pk): owner.bps}
        licence.save(update_fields=["revoke_votes"])
        voters = [int(user_id) for user_id in licence.revoke_votes]
        held = sum(o.bps for o in licence.work.owners.filter(user_id__in=voters))
        if held * 2 <= TOTAL_SHARES:
            return licence
    chain_allowance_use(user=user, key=f"revoke:{licence_id}", kind=ChainRequest.LICENCE_REVOKE)
    _enqueue(key=f"revoke:{licence_id}", signer=owner.address, function="revokeLicence",
             args=[f"0x{licence.work.sha256}", None, None, licence_id], work=licence.work, signer_user=user,
             meta={"licence": licence.pk})
    return licence


def published_print_record(*, asset: Asset) -> None:
    """Keep the fingerprints of a render published in the gallery: a look-alike's registration
    then waits for its project's owners (rights.services.works)."""
    if PublishedPrint.objects.filter(asset=asset).exists():
        return
    try:
        with asset.file.storage.open(asset.file.name, "rb") as handle:  # (leaves the FieldFile as it is)
            prints = fingerprint(handle, max_bytes=settings.WORK_MAX_BYTES)
    except (UnsupportedFile, OSError):
        log.warning("published asset %s could not be fingerprinted", asset.pk, exc_info=True)
        return
    PublishedPrint.objects.get_or_create(asset=asset, defaults={"iscc": prints.iscc, "phash": prints.phash})
