"""Public verification: anyone checks a file, a SHA-256, an ISCC code or a transaction hash.

`verify` finds the exact match (by SHA-256, by ISCC, or the work a transaction registered) and the
registered works that look like it (`rights.services.works.near_matches`), and for each one reads the
record **live from the chain** — `stateOf(contentHash)` and the latest `WorkRegistered` /
`OwnersChanged` event for that hash — and checks that the event's owners and shares hash to the
stored state. With the node unreachable (or on another chain) it still answers, from the
database, and says that nothing was verified live.

The chain reads are in `rights.chain.reads`, the query's parsing in `rights.verify.query`; this
module matches, checks and gives the verdict.

What is public: the registration (owners' addresses and shares, licence, fingerprints), C2PA
validity with the facts that say how a file was made (preset, seed, job) and the remix lineage as
content hashes with their registered works. Not: prompts, project names or author names, nor
whether an unregistered file is one of our assets when only its hash is given (who uploads the
file has it; a hash proves nothing).
"""


from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from generation.selectors import (
    asset_by_sha256,
    asset_find,
    assets_by_sha256,
    credentials_read,
    credentials_supported,
)
from kernel.errors import ValidationFailed
from rights.chain.reads import (
    ChainReader,
    ChainRecord,
    OwnerShare,
    chain_batch,
    chain_record,
    chain_transaction,
    configured_address,
)
from rights.licences import LICENCE_URLS, LicenceKind
from rights.lookalikes import near_matches, work_content_unit
from rights.merkle import merkle_verify
from rights.metadata import licence_text
from rights.models import IN_FLIGHT, BatchEntry, ChainTx, Work, WorkStatus
from rights.verify.licensing import (
    HolderCheck,
    LicenceToken,
    LicensingReader,
    OfferRef,
    holder_check,
    licence_lookup,
    published_offers,
)
from rights.verify.query import Query, file_query, parse_holder, parse_licence, parse_query

if TYPE_CHECKING:
    from generation.models import Asset

NEAR_SHOWN = 10
LINEAGE_DEPTH = 32
PUBLIC_FACTS = ("preset", "seed", "render_mode", "job_id", "kind", "parent_sha256")  # of our C2PA assertion


class Verdict:
    REGISTERED = "registered"  # on chain, read live
    ANCHORED = "anchored"  # in a Merkle batch whose root is anchored on chain, read live
    PENDING = "pending"  # registration asked for; not on chain yet
    UNVERIFIED = "unverified"  # the database says registered; the chain could not be read
    MISSING_ON_CHAIN = "missing_on_chain"  # the database says registered; the chain, read live, does not
    NOT_REGISTERED = "not_registered"


# --- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchData:
    """What a work anchored in a Merkle batch keeps: the batch's root, its leaf and proof."""

    root: bytes
    leaf: bytes
    proof: list[bytes]


@dataclass
class BatchProof:
    root: str
    leaf: str
    proof: list[str]
    leaf_ok: bool  # the leaf is this work's content hash, ISCC, metadata URI, owners and shares
    proof_ok: bool  # the proof leads from the leaf to the root, checked here (rights.merkle)
    live: bool
    anchored: bool | None = None  # None: not read live
    anchored_at: datetime | None = None
    included: bool | None = None


@dataclass(frozen=True)
class WorkRef:
    id: str
    title: str
    status: str
    status_label: str
    certificate_url: str
    mime: str
    sha256: str
    iscc: str


@dataclass
class DatabaseRecord:
    """What Storyloom's database knows (shown as such when the chain cannot be read)."""

    status: str
    owners: list[OwnerShare]
    registrant: str
    block_number: int | None
    registered_at: datetime | None
    transaction: str


@dataclass(frozen=True)
class Licence:
    kind: str
    name: str
    url: str
    terms: str  # the custom terms' text ("" for the standard licences)
    terms_sha256: str
    terms_hash_ok: bool  # sha256 of the licence text matches the recorded hash
    terms_on_chain: bool | None = None  # the registration's termsHash, read live, is that hash


@dataclass
class Provenance:
    read_from: str  # "upload" (the file given) or "asset" (our stored file of the work)
    present: bool
    valid: bool
    state: str
    signer: str | None
    failures: list[str]  # what failed validation ("code: explanation")
    facts: dict[str, Any] | None  # preset, seed, job_id, kind, parent_sha256


@dataclass(frozen=True)
class LineageStep:
    depth: int  # 0: the asset itself; 1: what it was remixed from; ...
    sha256: str
    kind: str
    created_at: datetime
    work: WorkRef | None  # its registered (or queued) work


@dataclass
class Match:
    relation: str  # "exact" or "near"
    matched_by: str  # "sha256", "iscc", "transaction", or "similar" for near matches
    sha256: str
    work: WorkRef | None  # None: on chain, but not registered through Storyloom
    verified_live: bool
    chain: ChainRecord | None  # None when the chain could not be read
    database: DatabaseRecord | None
    matches_database: bool | None  # the chain's owners and shares are the database's
    licence: Licence | None
    provenance: Provenance | None
    lineage: list[LineageStep]
    batch: BatchProof | None
    content_bits: int | None = None  # near matches: Content-Code bits apart (of 64)
    phash_bits: int | None = None
    offers: list[OfferRef] = field(default_factory=list)  # the work's published licence offers


@dataclass
class Verification:
    query: Query
    verdict: str
    message: str
    registered: bool  # the exact match is on chain (registered or anchored), read live
    live: bool  # the chain was read live for this answer
    chain_error: str  # why not, when not
    chain_id: int
    contract: str
    exact: Match | None
    near: list[Match]
    provenance: Provenance | None  # of the uploaded file
    lineage: list[LineageStep]  # of the uploaded file, when it is one of our generated assets
    notes: list[str]  # how the query was understood, when that needs saying
    checked_at: datetime
    licence_token: LicenceToken | None = None  # the licence asked about (`licence`)
    holder: HolderCheck | None = None  # whether the address asked about (`holder`) holds a licence

    @property
    def matches(self) -> list[Match]:
        return ([self.exact] if self.exact else []) + self.near

# --- batch anchoring ------------------------------------------------------------------------------


def _batch_entry(work: Work) -> BatchEntry | None:
    """The work's place in a batch (no query when loaded with select_related)."""
    try:
        return work.batch_entry
    except BatchEntry.DoesNotExist:
        return None


def batch_data(work: Work) -> BatchData | None:
    """The Merkle batch data of a work anchored in a batch rather than registered on its own."""
    entry = _batch_entry(work)
    if entry is None:
        return None
    return BatchData(root=_bytes(entry.batch.root), leaf=_bytes(entry.leaf),
                     proof=[_bytes(sibling) for sibling in entry.proof])


def _hex(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def _bytes(value: str) -> bytes:
    return bytes.fromhex(value.removeprefix("0x"))


def batch_verification(work: Work, reader: ChainReader) -> BatchProof | None:
    """A batch-anchored work's proof, checked here (the leaf is this work's record and leads to
    the root) and, live, on chain: `anchoredAt(root)` and `verifyInclusion(root, leaf, proof)`."""
    data = batch_data(work)
    if data is None:
        return None
    from rights.services.batches import work_leaf

    result = BatchProof(root=_hex(data.root), leaf=_hex(data.leaf), proof=[_hex(p) for p in data.proof],
                        leaf_ok=work_leaf(work) == data.leaf,
                        proof_ok=merkle_verify(data.root, data.leaf, data.proof), live=False)
    check = reader.read(chain_batch, root=data.root, leaf=data.leaf, proof=data.proof)
    if check is not None:
        result.live, result.anchored = True, check.anchored_at is not None
        result.anchored_at, result.included = check.anchored_at, check.included
    return result


# --- building the answer -------------------------------------------------------------------------


def certificate_url(work: Work) -> str:
    """The work's public certificate page."""
    return f"/works/{work.public_id}/"


def _work_ref(work: Work) -> WorkRef:
    return WorkRef(id=work.public_id, title=work.title, status=work.status,
                   status_label=str(work.get_status_display()), certificate_url=certificate_url(work),
                   mime=work.mime, sha256=work.sha256, iscc=work.iscc)


def _public_work(**lookup: Any) -> Work | None:
    """A work its owners asked to register (drafts stay private)."""
    return _with_records(Work.objects.filter(status__in=IN_FLIGHT, **lookup)).order_by("-id").first()


def _with_records(works: QuerySet[Work]) -> QuerySet[Work]:
    """Works with what a match reads of them (asset, batch, owners, transactions) loaded in a fixed
    number of queries, however many works there are."""
    return works.select_related("asset", "batch_entry__batch").prefetch_related(
        "owners", "transactions", "batch_entry__batch__transactions")


def _latest(transactions: Iterable[ChainTx], function: str) -> ChainTx | None:
    sent = [tx for tx in transactions if tx.function == function and tx.tx_hash]
    return max(sent, key=lambda tx: tx.pk, default=None)


def _database_record(work: Work) -> DatabaseRecord:
    tx = _latest(work.transactions.all(), "register")
    entry = _batch_entry(work) if tx is None else None
    if entry is not None:  # anchored in a batch: the anchor's transaction
        tx = _latest(entry.batch.transactions.all(), "anchor")
    owners = [OwnerShare(o.address, o.bps) for o in work.owners.all()]
    return DatabaseRecord(status=work.status, owners=owners,
                          registrant=work.registrant, block_number=work.block_number,
                          registered_at=work.registered_at, transaction=tx.tx_hash if tx else "")


def _licence(work: Work, record: ChainRecord | None) -> Licence:
    kind = LicenceKind(work.licence)
    text = licence_text(work.licence, work.terms)
    on_chain = None
    if record is not None and record.terms_hash:
        on_chain = record.terms_hash == f"0x{work.terms_sha256}"
    return Licence(kind=work.licence, name=str(kind.label), url=LICENCE_URLS.get(kind, ""),
                   terms=work.terms if kind == LicenceKind.CUSTOM else "", terms_sha256=work.terms_sha256,
                   terms_hash_ok=hashlib.sha256(text.encode()).hexdigest() == work.terms_sha256,
                   terms_on_chain=on_chain)


def _provenance(data: bytes, mime: str, source: str) -> Provenance | None:
    try:
        report = credentials_read(data=data, mime=mime)
    except (ValueError, OSError, ImproperlyConfigured) as error:
        return Provenance(read_from=source, present=False, valid=False, state="", signer=None,
                          failures=[str(error)], facts=None)
    if report is None:
        return None
    facts = {key: report.facts.get(key) for key in PUBLIC_FACTS} if report.facts else None
    return Provenance(read_from=source, present=report.present, valid=report.valid, state=report.state,
                      signer=report.signer, failures=report.errors, facts=facts)


def _asset_provenance(asset: Asset | None, mime: str) -> Provenance | None:
    """The C2PA manifest of our stored file of a generated asset."""
    if asset is None or not asset.file or not credentials_supported(mime):
        return None
    try:
        if asset.file.size > settings.WORK_MAX_BYTES:
            return None
        with asset.file.open("rb") as handle:
            data = handle.read()
    except OSError as error:
        return Provenance(read_from="asset", present=False, valid=False, state="", signer=None,
                          failures=[_("The stored file could not be read (%(error)s).") % {
                              "error": type(error).__name__}], facts=None)
    return _provenance(data, mime, "asset")


def lineage(asset: Asset | None) -> list[LineageStep]:
    """The asset and what it was remixed from, and from what that was, ... each with its work when
    registered (or queued)."""
    steps: list[LineageStep] = []
    seen: set[int] = set()
    while asset is not None and asset.pk not in seen and len(steps) <= LINEAGE_DEPTH:
        seen.add(asset.pk)
        work = (Work.objects.filter(asset=asset, status__in=IN_FLIGHT).order_by("-id").first()
                or Work.objects.filter(sha256=asset.sha256, status__in=IN_FLIGHT).order_by("-id").first())
        steps.append(LineageStep(depth=len(steps), sha256=asset.sha256, kind=asset.kind,
                                 created_at=asset.created_at, work=_work_ref(work) if work else None))
        asset = asset_find(asset_id=asset.parent_id)
    return steps


def _asset_of(work: Work, by_hash: Mapping[str, Asset] | None = None) -> Asset | None:
    """The generated asset a registered work is: its own, or one with the same bytes (a generated
    file registered by uploading it), looked up in `by_hash` when given."""
    if work.asset is not None:
        return work.asset
    return by_hash.get(work.sha256) if by_hash is not None else asset_by_sha256(sha256=work.sha256)


def _same_owners(a: list[OwnerShare], b: list[OwnerShare]) -> bool:
    return [(o.address.lower(), o.bps) for o in a] == [(o.address.lower(), o.bps) for o in b]


def _match(*, relation: str, matched_by: str, sha256: str, work: Work | None, reader: ChainReader,
           provenance_report: Provenance | None = None, file_asset: Asset | None = None,
           content_bits: int | None = None, phash_bits: int | None = None,
           assets_by_hash: Mapping[str, Asset] | None = None) -> Match:
    record = reader.read(chain_record, sha256)
    database = _database_record(work) if work is not None else None
    asset = _asset_of(work, assets_by_hash) if work is not None else file_asset
    if provenance_report is None and work is not None:
        provenance_report = _asset_provenance(asset, work.mime)
    return Match(
        relation=relation, matched_by=matched_by, sha256=sha256,
        work=_work_ref(work) if work is not None else None,
        verified_live=record is not None, chain=record, database=database,
        matches_database=(_same_owners(record.owners, database.owners)
                          if record is not None and record.owners and database is not None else None),
        licence=_licence(work, record) if work is not None else None, provenance=provenance_report,
        lineage=lineage(asset), batch=batch_verification(work, reader) if work is not None else None,
        content_bits=content_bits, phash_bits=phash_bits)


def _verdict(exact: Match | None, live: bool) -> tuple[str, str]:
    if exact is None:
        if not live:
            return Verdict.NOT_REGISTERED, _("Not registered with Storyloom. The chain could not be read, "
                                             "so a registration made elsewhere cannot be ruled out.")
        return Verdict.NOT_REGISTERED, _("Not registered: no registration has this content.")
    record, work = exact.chain, exact.work
    if record is not None and record.registered:
        if work is None:
            return Verdict.REGISTERED, _("Registered on the chain (not through Storyloom).")
        return Verdict.REGISTERED, _("Registered on the chain: “%(title)s”.") % {"title": work.title}
    batch = exact.batch
    if batch is not None and batch.anchored and batch.included and batch.leaf_ok:
        return Verdict.ANCHORED, _("Anchored on the chain in a batch, and its proof checks out.")
    status = work.status if work is not None else ""
    if status in (WorkStatus.QUEUED, WorkStatus.SUBMITTED):
        return Verdict.PENDING, _("Registration was asked for; it is not on the chain yet.")
    if status == WorkStatus.REGISTERED:
        if live:
            return Verdict.MISSING_ON_CHAIN, _("Storyloom records this work as registered, but the chain "
                                               "has no record of it.")
        return Verdict.UNVERIFIED, _("Storyloom records this work as registered; the chain could not be "
                                     "read to confirm it.")
    return Verdict.NOT_REGISTERED, _("Not registered: no registration has this content.")


def _parsed(*, query: str, upload: IO[bytes] | None, holder: str,
            licence: str) -> tuple[Query | None, bytes, str, str]:
    """The query (None: the licence alone is asked about), the file's bytes, the holder and the
    licence, each checked; one ValidationFailed naming every field that is wrong."""
    errors: list[ValidationFailed] = []

    def checked(parse: Any, *args: Any) -> Any:
        try:
            return parse(*args)
        except ValidationFailed as error:
            errors.append(error)
            return None

    holder_address = checked(parse_holder, holder) or ""
    licence_id = checked(parse_licence, licence) or ""
    parsed, data = None, b""
    if upload is not None:
        parsed, data = checked(file_query, upload) or (None, b"")
    elif query.strip() or not (licence_id or licence.strip()):
        parsed = checked(parse_query, query)
    if errors:
        fields: dict[str, list[str]] = {}
        for error in errors:
            fields.update(error.fields)
        raise ValidationFailed(errors[0].message, fields=fields, code=errors[0].code)
    return parsed, data, holder_address, licence_id


def verify(*, query: str = "", upload: IO[bytes] | None = None, holder: str = "",
           licence: str = "") -> Verification:
    """Check an uploaded file, or a pasted SHA-256, ISCC code or transaction hash, against the
    chain (read live) and what Storyloom knows. With `holder` (an address), also whether it holds
    a licence of the work found: of the licence `licence` (a licence token's id) when given, else of
    any of the work's offers (`rights.verify.licensing`). `licence` alone verifies the work that
    licence is of. Raises ValidationFailed for input that is none of these (fields "query",
    "file", "holder" or "licence")."""
    if upload is not None and query.strip():
        raise ValidationFailed(_("Verify one thing at a time: a file or an identifier."), fields={
            "query": [_("Leave this empty when you upload a file.")]}, code="invalid_query")
    asked, data, holder_address, licence_id = _parsed(query=query, upload=upload, holder=holder,
                                                      licence=licence)
    reader = ChainReader()
    licensing = LicensingReader(error="" if reader.live else reader.error)
    token = licence_lookup(licence_id, licensing) if licence_id else None
    if asked is not None:
        parsed = asked
    else:  # the licence alone: the work it is of, as if its SHA-256 had been asked
        assert token is not None
        parsed = Query(kind="licence", value=token.id, sha256=token.content_hash)

    exact_work: Work | None = None
    matched_by = parsed.kind if parsed.kind != "file" else "sha256"
    sha256 = parsed.sha256
    notes: list[str] = []
    if parsed.kind == "tx":
        sha256, exact_work, matched_by, note = _from_transaction(parsed.value, reader)
        notes += [note] if note else []
    elif parsed.kind == "iscc":
        exact_work = _public_work(iscc=parsed.iscc)
        sha256 = exact_work.sha256 if exact_work is not None else ""
    elif sha256:
        exact_work = _public_work(sha256=sha256)

    file_report = _provenance(data, parsed.mime, "upload") if data else None
    file_asset = None
    if data:  # whoever has the file may see that it is one of our assets, and its lineage
        file_asset = asset_by_sha256(sha256=parsed.sha256)
    file_lineage = lineage(file_asset) if file_asset is not None else []

    exact = None
    if sha256:
        exact = _match(relation="exact", matched_by=matched_by, sha256=sha256, work=exact_work,
                       reader=reader, provenance_report=file_report, file_asset=file_asset)
        if exact_work is None and not (exact.chain is not None and exact.chain.registered):
            exact = None  # neither registered here nor on chain

    content_code, phash = parsed.content_code, parsed.phash
    if exact_work is not None and not content_code:
        content_code, phash = work_content_unit(exact_work), exact_work.phash
    near = []
    if content_code or phash:
        similar = near_matches(sha256=sha256 or parsed.sha256, content_code=content_code, phash=phash,
                               exclude=exact_work)[:NEAR_SHOWN]
        # Every look-alike's records at once (not a round of queries per look-alike).
        works = {w.pk: w for w in _with_records(Work.objects.filter(pk__in=[m.work.pk for m in similar]))}
        by_hash = assets_by_sha256(sha256s=[w.sha256 for w in works.values() if w.asset is None])
        near = [_match(relation="near", matched_by="similar", sha256=m.work.sha256, work=works[m.work.pk],
                       reader=reader, content_bits=m.content_bits, phash_bits=m.phash_bits,
                       assets_by_hash=by_hash) for m in similar if m.work.pk in works]

    matches = ([exact] if exact else []) + near
    offers = published_offers([m.work.id for m in matches if m.work is not None])  # one query for all
    for match in matches:
        match.offers = offers.get(match.work.id, []) if match.work is not None else []
    held = None
    if holder_address:
        held = holder_check(holder=holder_address, reader=licensing, sha256=sha256 or parsed.sha256,
                            work_title=exact.work.title if exact is not None and exact.work else "",
                            offers=exact.offers if exact is not None else [], registered=exact is not None,
                            token=token)

    verdict, message = _verdict(exact, reader.live)
    if token is not None and asked is None and not sha256:  # the licence alone, and no work found for it
        message = token.message
    contract = reader.contract.address if reader.contract is not None else configured_address()
    return Verification(query=parsed, verdict=verdict, message=message,
                        registered=verdict in (Verdict.REGISTERED, Verdict.ANCHORED), live=reader.live,
                        chain_error=reader.error, chain_id=settings.CHAIN_ID, contract=contract,
                        exact=exact, near=near, provenance=file_report, lineage=file_lineage, notes=notes,
                        checked_at=datetime.now(tz=UTC), licence_token=token, holder=held)


def _from_transaction(tx_hash: str, reader: ChainReader) -> tuple[str, Work | None, str, str]:
    """The content hash and work a transaction registered (or changed), how it was found, and a
    note: from its receipt, read live; from the outbox when the node cannot be read or has not
    mined it. A hash that names no transaction is tried as a content hash written as the chain
    writes it (0x…)."""
    finding = reader.read(chain_transaction, tx_hash)
    if finding is not None and finding.content_hash:
        note = "" if finding.succeeded else _("This transaction failed on the chain.")
        return finding.content_hash, _public_work(sha256=finding.content_hash), "transaction", note
    if finding is None or not finding.found:
        tx = ChainTx.objects.filter(tx_hash=tx_hash).select_related("work").order_by("-id").first()
        if tx is not None and tx.work is not None and tx.work.status in IN_FLIGHT:
            note = _("The chain has not mined this transaction yet.") if finding is not None else ""
            return tx.work.sha256, _public_work(pk=tx.work.pk), "transaction", note
    if finding is not None and finding.found:
        if finding.anchored_root:
            return "", None, "transaction", _("This transaction anchored a batch of works (root %(root)s); "
                                              "verify a work of the batch by its file or hash.") % {
                                                  "root": finding.anchored_root}
        return "", None, "transaction", _("This transaction did not register a work in this registry.")
    content = tx_hash[2:]
    work = _public_work(sha256=content)
    note = _("No transaction has this hash, so it was checked as a content hash (SHA-256).")
    if finding is None:
        note = _("The chain could not be read, so this was looked up as a transaction and as a content "
                 "hash in Storyloom's records.")
    return content, work, "sha256", note
