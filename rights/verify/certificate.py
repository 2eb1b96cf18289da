"""What a work's certificate page shows: who may see what, the registration record from the
database, and a cheap live check against the chain that never fails the page.

The registration (fingerprints, licence, owners and shares, block, transaction) is public once the
owners asked for it (queued, submitted, registered: what is on its way to a public chain anyway).
Drafts, failed attempts, the media, the project and pending operations are for the work's makers,
owners and its project's members.
"""


from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from accounts.selectors import users_by_id
from kernel.errors import NotFound
from projects.selectors import AnyUser, membership_get
from rights.chain import client as chain
from rights.chain.reads import (
    ChainUnavailable,
    chain_batch,
    chain_connect,
    node_errors,
    remember_node_down,
)
from rights.licences import LICENCE_URLS
from rights.merkle import merkle_verify, state_hash
from rights.metadata import licence_text
from rights.models import (
    IN_FLIGHT,
    ChainTx,
    Custody,
    LicenceKind,
    LicenceStatus,
    Owner,
    RegistrationMode,
    TxStatus,
    Work,
    WorkStatus,
)
from rights.selectors import consents_missing, work_get

if TYPE_CHECKING:
    from accounts.models import User

EDITABLE = (WorkStatus.DRAFT, WorkStatus.CONFIRMING)


@dataclass
class Access:
    """How much of a work a viewer sees and may do."""

    status: str
    public: bool  # the registration is public (asked for by its owners)
    member: bool  # its maker, an owner, or a member of its project: the whole page
    maker: bool
    owner: Owner | None  # the viewer's own share, if any
    project_member: bool  # the project's media is served to its members only
    must_consent: bool = False  # a maker whose share the owners cut or removed, asked to agree

    @property
    def visible(self) -> bool:
        return self.public or self.member

    @property
    def can_edit(self) -> bool:
        """Owners (and the maker) settle owners and shares until the registration is queued."""
        return (self.owner is not None or self.maker) and self.status in EDITABLE

    @property
    def must_confirm(self) -> bool:
        """The viewer is a co-owner asked to confirm who owns what."""
        return (self.owner is not None and self.owner.confirmed_at is None
                and self.status == WorkStatus.CONFIRMING)


def access_for(work: Work, user: AnyUser) -> Access:
    member = False
    if getattr(user, "is_authenticated", False):
        try:
            work_get(work_id=work.public_id, user=user)
            member = True
        except NotFound:
            pass
    owner = next((o for o in work.owners.all() if user.is_authenticated and o.user_id == user.pk), None)
    return Access(status=work.status, public=work.status in IN_FLIGHT, member=member,
                  maker=bool(user.is_authenticated and work.created_by_id == user.pk), owner=owner,
                  project_member=bool(work.project and membership_get(project=work.project, user=user)),
                  must_consent=bool(user.is_authenticated and work.status in EDITABLE
                                    and user.pk in consents_missing(work)))


def work_for_page(*, work_id: str, user: AnyUser) -> tuple[Work, Access]:
    """The work and the viewer's access; NotFound when the viewer may not see it at all."""
    work = (Work.objects.filter(public_id=work_id)
            .select_related("project", "asset", "created_by", "batch_entry__batch")
            .prefetch_related(Prefetch("owners", queryset=Owner.objects.select_related("user")))
            .first())
    if work is None:
        raise NotFound(_("No such work."))
    access = access_for(work, user)
    if not access.visible:
        raise NotFound(_("No such work."))
    return work, access


# --- the live check ---------------------------------------------------------------------------


@dataclass
class ChainCheck:
    """What the node says now. state: "match" (on chain, matching), "differs", "absent" (not on
    chain yet), "unreachable" (the node did not answer), "skipped" (nothing to read yet)."""

    state: str
    detail: str = ""
    anchored_at: datetime | None = None
    included: bool | None = None


def _bytes(value: str) -> bytes:
    return bytes.fromhex(value.removeprefix("0x"))


def chain_check(work: Work) -> ChainCheck:
    """A registered work's record read live: `stateOf` against its owners' state hash, or, for a
    work anchored in a batch, `anchoredAt(root)` and `verifyInclusion(root, leaf, proof)`."""
    entry = getattr(work, "batch_entry", None) if work.mode == RegistrationMode.BATCH else None
    if work.mode == RegistrationMode.BATCH and entry is None:
        return ChainCheck("skipped")
    sent = (WorkStatus.SUBMITTED, WorkStatus.REGISTERED)
    if work.mode == RegistrationMode.SINGLE and work.status not in sent:
        return ChainCheck("skipped")
    try:
        contract = chain_connect()
        if entry is not None:
            batch = chain_batch(contract, root=_bytes(entry.batch.root), leaf=_bytes(entry.leaf),
                                proof=[_bytes(p) for p in entry.proof])
            if batch.anchored_at is None:
                return ChainCheck("absent", included=batch.included)
            return ChainCheck("match" if batch.included else "differs", anchored_at=batch.anchored_at,
                              included=batch.included)
        with node_errors():
            stored = bytes(contract.functions.stateOf(bytes.fromhex(work.sha256)).call())
    except ChainUnavailable as error:
        remember_node_down(str(error))
        return ChainCheck("unreachable", detail=str(error))
    if stored == b"\0" * 32:
        return ChainCheck("absent")
    owners = list(work.owners.all())
    expected = state_hash([o.address for o in owners], [o.bps for o in owners])
    return ChainCheck("match" if stored == expected else "differs")


# --- the rest of the record ---------------------------------------------------------------------


@dataclass
class OwnerRow:
    owner: Owner
    name: str  # a person's name here, or ""
    username: str
    percent: str
    is_me: bool


@dataclass
class Operation:
    tx: ChainTx
    label: str
    detail: str = ""


@dataclass
class Record:
    """The registration as the platform recorded it."""

    tx_hash: str = ""
    contract: str = ""
    chain_id: int = 0
    batch_root: str = ""
    batch_leaf: str = ""
    batch_proof: list[str] = field(default_factory=list)
    batch_local_ok: bool | None = None


def owner_rows(work: Work, user: AnyUser) -> list[OwnerRow]:
    return [OwnerRow(owner=o, name=o.user.name if o.user else "", username=o.user.username if o.user else "",
                     percent=f"{o.bps / 100:g}", is_me=bool(o.user_id and o.user_id == user.pk))
            for o in work.owners.all()]


def licence_info(work: Work) -> dict[str, str]:
    kind = LicenceKind(work.licence)
    return {"kind": work.licence, "name": str(kind.label),
            "url": LICENCE_URLS.get(kind, ""), "terms": work.terms if kind == LicenceKind.CUSTOM else "",
            "text": licence_text(work.licence, work.terms)}


def record(work: Work) -> Record:
    found = Record(chain_id=settings.CHAIN_ID)
    with suppress(ImproperlyConfigured):  # no registry yet: nothing to name
        found.contract = chain.registry_address()
    tx = work.transactions.filter(function="register").exclude(tx_hash="").order_by("-id").first()
    entry = getattr(work, "batch_entry", None)
    if entry is not None:
        tx = (ChainTx.objects.filter(function="anchor", batch=entry.batch).exclude(tx_hash="")
              .order_by("-id").first())
        found.batch_root, found.batch_leaf = entry.batch.root, entry.leaf
        found.batch_proof = list(entry.proof)
        found.batch_local_ok = merkle_verify(_bytes(entry.batch.root), _bytes(entry.leaf),
                                             [_bytes(p) for p in entry.proof])
    if tx is not None:
        found.tx_hash = tx.tx_hash
    return found


def _people(addresses: list[str], ids: list[int]) -> tuple[dict[str, User], dict[int, User]]:
    by_address = {c.address.lower(): c.user for c in Custody.objects.filter(address__in=addresses)
                  .select_related("user")}
    return by_address, users_by_id(ids)


def _who(address: str, user_id: int | None, by_address: dict[str, User], by_id: dict[int, User]) -> str:
    user = by_id.get(user_id or 0) or by_address.get(address.lower())
    return f"@{user.username}" if user else address


def operations(work: Work) -> list[Operation]:
    """The work's chain calls still on their way, and the ones that failed (newest first)."""
    txs = list(work.transactions.filter(status__in=[TxStatus.PENDING, TxStatus.SUBMITTED, TxStatus.FAILED])
               .order_by("-id")[:20])
    addresses = [str(tx.meta.get("to_address", "")) for tx in txs if tx.function == "transferShare"]
    ids = [int(tx.meta["to_user"]) for tx in txs if tx.meta.get("to_user")]
    by_address, by_id = _people(addresses, ids)
    licences = {lic.pk: lic for lic in work.licences.select_related("licensee_user")}
    found = []
    for tx in txs:
        if tx.function == "register":
            found.append(Operation(tx, _("Registration")))
        elif tx.function == "transferShare":
            who = _who(str(tx.meta.get("to_address", "")), tx.meta.get("to_user"), by_address, by_id)
            found.append(Operation(tx, _("Share transfer"), _("%(bps)s basis points to %(who)s") % {
                "bps": tx.args[4], "who": who}))
        elif tx.function in ("grantLicence", "revokeLicence"):
            lic = licences.get(tx.meta.get("licence", 0))
            who = ""
            if lic is not None:
                who = f"@{lic.licensee_user.username}" if lic.licensee_user else lic.licensee
            label = _("Licence grant") if tx.function == "grantLicence" else _("Licence revocation")
            found.append(Operation(tx, label, _("to %(who)s") % {"who": who} if who else ""))
        else:
            found.append(Operation(tx, tx.function))
    return found


def licences(work: Work, *, everything: bool) -> list[Any]:
    """Granted licences (and, for the owners, the ones on their way, revoked or failed)."""
    qs = work.licences.select_related("licensee_user").order_by("-created_at", "-id")
    return list(qs if everything else qs.filter(status=LicenceStatus.ACTIVE))
