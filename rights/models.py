"""Works registered on the chain, their owners and licences, and the outbox of transactions.

The database is the source of truth for what the platform asked the chain to do (the outbox);
the chain is the source of truth for what happened (indexed back as ChainEvent rows).
"""

import secrets
import time

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from rights.licences import LicenceKind


class WorkStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")  # fingerprinted; owners and licence being settled
    CONFIRMING = "confirming", _("Waiting for co-owners")  # every co-owner must confirm
    QUEUED = "queued", _("Queued")  # in the outbox (or waiting for its batch)
    SUBMITTED = "submitted", _("Submitted")  # broadcast; waiting for confirmations
    REGISTERED = "registered", _("Registered")
    FAILED = "failed", _("Failed")
    REVIEW = "review", _("Waiting for approval")  # looks like others' works: their owners decide
    DECLINED = "declined", _("Declined")  # the owners of a look-alike (or a moderator) said no


class RegistrationMode(models.TextChoices):
    SINGLE = "single", _("Own transaction")
    BATCH = "batch", _("Batch (Merkle anchor)")


IN_FLIGHT = (WorkStatus.QUEUED, WorkStatus.SUBMITTED, WorkStatus.REGISTERED)


def new_work_id() -> str:
    return f"work_{secrets.token_hex(10)}"


def work_path(work: "Work", filename: str) -> str:
    return f"works/{work.public_id}/{filename}"


class Work(models.Model):
    public_id = models.CharField(max_length=40, unique=True, default=new_work_id, editable=False)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=5000)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="works")
    project = models.ForeignKey("projects.Project", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="works")
    asset = models.ForeignKey("generation.Asset", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="works")
    file = models.FileField(upload_to=work_path, blank=True)  # an upload (a generated work keeps its asset)
    mime = models.CharField(max_length=60)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    iscc = models.CharField(max_length=120, db_index=True)
    phash = models.CharField(max_length=16, blank=True)  # 64-bit perceptual hash (hex) of the image/frame
    licence = models.CharField(max_length=24, choices=LicenceKind.choices,
                               default=LicenceKind.ALL_RIGHTS_RESERVED)
    terms = models.TextField(blank=True, max_length=20000)  # custom terms; the others are the licence itself
    terms_sha256 = models.CharField(max_length=64)  # on chain (register); the text is in the metadata
    mode = models.CharField(max_length=8, choices=RegistrationMode.choices, default=RegistrationMode.SINGLE)
    status = models.CharField(max_length=12, choices=WorkStatus.choices, default=WorkStatus.DRAFT)
    error = models.TextField(blank=True)
    registrant = models.CharField(max_length=42, blank=True)  # the address that sent the registration
    block_number = models.PositiveBigIntegerField(null=True, blank=True)
    registered_at = models.DateTimeField(null=True, blank=True)  # the block's time
    # The people the work was made by and their default shares ({user id: bps}, as strings): one
    # whose share the owners cut or remove must consent (consents: {user id: ISO time}), and is
    # asked again after every change.
    # The licence (an offer of its source's) a remix was made under, recorded on chain at registration.
    licensed_from = models.ForeignKey("Offer", on_delete=models.SET_NULL, null=True, blank=True,
                                      related_name="remixes")
    entitled = models.JSONField(default=dict, blank=True)
    consents = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # A content hash registers once: one work per hash among those queued or registered.
            models.UniqueConstraint(fields=["sha256"], condition=Q(status__in=IN_FLIGHT),
                                    name="rights_work_registers_once"),
        ]

    def __str__(self) -> str:
        return self.public_id


class Owner(models.Model):
    """A co-owner's share in basis points (10,000 in all), at an address the platform holds for a
    person (user set) or an outside address."""

    work = models.ForeignKey(Work, on_delete=models.CASCADE, related_name="owners")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="+")
    address = models.CharField(max_length=42)
    bps = models.PositiveIntegerField()
    position = models.PositiveIntegerField(default=0)  # the order on chain
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["work", "address"], name="rights_owner_once")]

    def __str__(self) -> str:
        return f"{self.address} {self.bps} bps of {self.work}"


class TxStatus(models.TextChoices):
    PENDING = "pending", _("Pending")  # not signed yet
    SUBMITTED = "submitted", _("Submitted")  # signed with its nonce, broadcast (maybe again)
    CONFIRMED = "confirmed", _("Confirmed")
    FAILED = "failed", _("Failed")


class ChainContract(models.TextChoices):
    """Which of the platform's contracts a transaction calls."""

    REGISTRY = "registry", _("Registry")
    LICENSING = "licensing", _("Licensing")
    STABLECOIN = "stablecoin", _("Stablecoin")


class ChainTx(models.Model):
    """The outbox: a contract call the platform means to make, from one signer, exactly once.

    `key` makes asking twice harmless (e.g. "register:<sha256>"). The signer serialises each
    address's nonces: nonce, hash and raw transaction are stored before the broadcast, so a crash
    or an RPC outage after signing re-broadcasts the same transaction instead of a second one."""

    key = models.CharField(max_length=120, unique=True)
    signer = models.CharField(max_length=42, db_index=True)
    signer_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")  # a custodial key's owner; None: the platform's
    contract = models.CharField(max_length=12, choices=ChainContract.choices, default=ChainContract.REGISTRY)
    function = models.CharField(max_length=40)
    value = models.DecimalField(max_digits=40, decimal_places=0, default=0)  # wei it pays (a purchase)
    args = models.JSONField()  # as the ABI wants them, bytes as 0x-hex; None: filled in when sent
    meta = models.JSONField(default=dict, blank=True)  # what the platform needs when it confirms
    request_id = models.CharField(max_length=64, blank=True)  # of the request that asked: its logs'
    status = models.CharField(max_length=12, choices=TxStatus.choices, default=TxStatus.PENDING)
    nonce = models.PositiveBigIntegerField(null=True, blank=True)
    gas = models.PositiveBigIntegerField(null=True, blank=True)
    max_fee = models.DecimalField(max_digits=40, decimal_places=0, null=True, blank=True)  # wei per gas
    priority_fee = models.DecimalField(max_digits=40, decimal_places=0, null=True, blank=True)
    tx_hash = models.CharField(max_length=66, blank=True, db_index=True)  # the latest one sent
    hashes = models.JSONField(default=list)  # every version broadcast (replacements included)
    raw = models.TextField(blank=True)  # the latest signed transaction, for re-broadcasting
    submitted_at = models.DateTimeField(null=True, blank=True)
    replacements = models.PositiveIntegerField(default=0)
    block_number = models.PositiveBigIntegerField(null=True, blank=True)
    gas_used = models.PositiveBigIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    work = models.ForeignKey(Work, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="transactions")
    batch = models.ForeignKey("Batch", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="transactions")
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["signer", "nonce"], name="rights_tx_nonce_once")]
        indexes = [models.Index(fields=["signer", "status", "id"], name="rights_tx_queue")]

    def __str__(self) -> str:
        return self.key


class BatchStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for its anchor")
    ANCHORED = "anchored", _("Anchored")
    FAILED = "failed", _("Failed")


class Batch(models.Model):
    """Works anchored together: one Merkle root on chain for all of them (`anchor`)."""

    root = models.CharField(max_length=66, unique=True)  # 0x-hex
    count = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=BatchStatus.choices, default=BatchStatus.PENDING)
    block_number = models.PositiveBigIntegerField(null=True, blank=True)
    anchored_at = models.DateTimeField(null=True, blank=True)  # the block's time
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.root


class BatchEntry(models.Model):
    """A work's place in its batch: its leaf and the proof that leads from it to the root."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="entries")
    work = models.OneToOneField(Work, on_delete=models.CASCADE, related_name="batch_entry")
    index = models.PositiveIntegerField()
    leaf = models.CharField(max_length=66)
    proof = models.JSONField()  # sibling hashes, leaf to root, 0x-hex

    class Meta:
        ordering = ["batch", "index"]

    def __str__(self) -> str:
        return f"{self.work} in {self.batch}"


class LicenceStatus(models.TextChoices):
    PENDING = "pending", _("Being granted")
    ACTIVE = "active", _("Granted")
    REVOKED = "revoked", _("Revoked")
    FAILED = "failed", _("Failed")


class Licence(models.Model):
    """A licence an owner granted on a registered work: to a licensee, on terms (their hash on
    chain, the text here), until an expiry (None: never)."""

    work = models.ForeignKey(Work, on_delete=models.CASCADE, related_name="licences")
    licence_id = models.CharField(max_length=66, unique=True)  # keccak(work, licensee, termsHash, salt)
    salt = models.CharField(max_length=66)
    licensee = models.CharField(max_length=42)
    licensee_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                      blank=True, related_name="+")
    terms = models.TextField(max_length=20000)
    terms_sha256 = models.CharField(max_length=64)
    expires_at = models.DateTimeField(null=True, blank=True)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=LicenceStatus.choices, default=LicenceStatus.PENDING)
    # Owners who asked to revoke it ({user id: bps}, as strings): it is revoked by its grantor, or
    # once those asking hold a majority of the shares.
    revoke_votes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.licence_id


class PublishedPrint(models.Model):
    """The fingerprints of an asset published in the gallery, so that look-alike uploads are found
    among published works as well as registered ones. Kept after unpublishing: the work was out."""

    asset = models.OneToOneField("generation.Asset", on_delete=models.CASCADE, related_name="published_print")
    iscc = models.CharField(max_length=120)
    phash = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"prints of {self.asset_id}"


class ReviewStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Declined")


class WorkReview(models.Model):
    """A registration that looks like someone else's work waits for its owners (the owners of the
    registered work, or of the project that published the asset) or a moderator to approve it."""

    work = models.ForeignKey(Work, on_delete=models.CASCADE, related_name="reviews")
    matched_work = models.ForeignKey(Work, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    matched_asset = models.ForeignKey("generation.Asset", on_delete=models.CASCADE, null=True, blank=True,
                                      related_name="+")
    content_bits = models.PositiveIntegerField(null=True, blank=True)
    phash_bits = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                   blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"review of {self.work_id}"


class ProvenanceAttempt(models.Model):
    """A refused claim on a file the platform knows the makers of, for moderators to look at."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sha256 = models.CharField(max_length=64, db_index=True)
    reason = models.CharField(max_length=40)  # the refusal's code
    asset = models.ForeignKey("generation.Asset", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    manifest = models.JSONField(default=dict, blank=True)  # what the file's C2PA manifest said
    detail = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.reason} by {self.user_id}"


class ChainEvent(models.Model):
    """A registry event as the chain logged it, indexed back (rights/chain/indexer.py)."""

    block_number = models.PositiveBigIntegerField(db_index=True)
    tx_hash = models.CharField(max_length=66)
    log_index = models.PositiveIntegerField()
    name = models.CharField(max_length=40)
    content_hash = models.CharField(max_length=64, blank=True, db_index=True)  # sha256 hex, when it has one
    args = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["block_number", "log_index"]
        constraints = [models.UniqueConstraint(fields=["tx_hash", "log_index"], name="rights_event_once")]

    def __str__(self) -> str:
        return f"{self.name} in {self.tx_hash}"


class ChainCursor(models.Model):
    """How far the indexer has read a contract's logs."""

    address = models.CharField(max_length=42, unique=True)
    block = models.PositiveBigIntegerField(default=0)  # the last block read

    def __str__(self) -> str:
        return f"{self.address} at {self.block}"


class Custody(models.Model):
    """The address the platform holds a person's shares at (derived from its key: the address is
    public, only the derivation is secret). Lets the chain's addresses be read back as people."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="custody")
    address = models.CharField(max_length=42, unique=True)

    def __str__(self) -> str:
        return f"{self.address} of {self.user_id}"


class ChainRequest(models.TextChoices):
    REGISTRATION = "registration", _("Registration")
    TRANSFER = "transfer", _("Share transfer")
    LICENCE_GRANT = "licence_grant", _("Licence granted")
    LICENCE_REVOKE = "licence_revoke", _("Licence revoked")
    OFFER = "offer", _("Licence offer")
    PURCHASE = "purchase", _("Licence purchase")
    WITHDRAWAL = "withdrawal", _("Withdrawal")


class ChainAllowanceUse(models.Model):
    """A chain request an account made, counted against its plan's daily allowance
    (rights/allowance.py); `key` makes asking twice for the same thing count once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=120, unique=True)  # e.g. "registration:<work id>"
    kind = models.CharField(max_length=16, choices=ChainRequest.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["user", "created_at"], name="rights_allowance_day")]

    def __str__(self) -> str:
        return self.key


# ---------------------------------------------------------------- licences for sale (StoryloomLicensing)


class OfferStatus(models.TextChoices):
    APPROVING = "approving", _("Waiting for owners' approval")  # signatures short of a majority
    PUBLISHING = "publishing", _("Publishing")  # a majority signed: in the outbox
    ACTIVE = "active", _("On sale")
    SOLD_OUT = "sold_out", _("Sold out")
    CLOSING = "closing", _("Closing")
    CLOSED = "closed", _("Closed")
    FAILED = "failed", _("Failed")


class Currency(models.TextChoices):
    NATIVE = "native", _("ETH")  # the chain's currency
    STABLECOIN = "stablecoin", _("USD stablecoin")


class Offer(models.Model):
    """A licence offered for sale on a registered work: its terms, price and edition size, and the
    owners' approvals that publish it (a majority by share, signed as EIP-712 typed data). The
    offer's id is the licence token's id on chain, known before it is published."""

    work = models.ForeignKey(Work, on_delete=models.CASCADE, related_name="offers")
    offer_id = models.CharField(max_length=66, unique=True)  # 0x-hex uint256: keccak(abi.encode(terms))
    salt = models.CharField(max_length=66)
    title = models.CharField(max_length=120)
    licence = models.CharField(max_length=24, choices=LicenceKind.choices)
    terms = models.TextField(max_length=20000)  # the whole text the buyer agrees to (hashed on chain)
    terms_sha256 = models.CharField(max_length=64)
    commercial = models.BooleanField(default=False)
    remix_allowed = models.BooleanField(default=False)
    upstream_bps = models.PositiveIntegerField(default=0)  # of a remix's sales, paid to this work
    territory = models.CharField(max_length=120, default="Worldwide")
    duration_days = models.PositiveIntegerField(null=True, blank=True)  # None: perpetual
    currency = models.CharField(max_length=10, choices=Currency.choices)
    token = models.CharField(max_length=42)  # the payment token's address; zeros: the chain's currency
    price = models.DecimalField(max_digits=40, decimal_places=0)  # in the token's smallest unit
    max_quantity = models.PositiveIntegerField(default=0)  # 0: unlimited
    sold = models.PositiveIntegerField(default=0)
    fee_bps = models.PositiveIntegerField()
    deadline = models.PositiveBigIntegerField()  # unix time the approvals are valid until
    status = models.CharField(max_length=12, choices=OfferStatus.choices, default=OfferStatus.APPROVING)
    error = models.TextField(blank=True)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.title} ({self.offer_id[:10]}…)"

    @property
    def expired(self) -> bool:
        """Still waiting for approvals past the deadline its signatures carry: it can no longer be
        published (its owners propose it again)."""
        return self.status == OfferStatus.APPROVING and self.deadline < time.time()


class ApprovalKind(models.TextChoices):
    PUBLISH = "publish", _("Publish")
    CLOSE = "close", _("Close")


class OfferApproval(models.Model):
    """One owner's signature of an offer's publication or closing (the contract checks it)."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="approvals")
    kind = models.CharField(max_length=8, choices=ApprovalKind.choices)
    address = models.CharField(max_length=42)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    deadline = models.PositiveBigIntegerField()
    signature = models.CharField(max_length=200)  # 0x-hex (65 bytes)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["offer", "kind", "address"],
                                               name="rights_offer_approval_once")]

    def __str__(self) -> str:
        return f"{self.kind} {self.offer_id} by {self.address}"


class PurchaseStatus(models.TextChoices):
    PENDING = "pending", _("Paying")
    CONFIRMED = "confirmed", _("Licensed")
    FAILED = "failed", _("Failed")


class Purchase(models.Model):
    """A licence bought: by a person here through the outbox (pending until mined), or found on
    chain by the indexer (anyone's)."""

    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="purchases")
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    licensee = models.CharField(max_length=42)  # who holds the licence token
    payer = models.CharField(max_length=42, blank=True)
    price = models.DecimalField(max_digits=40, decimal_places=0)
    serial = models.PositiveIntegerField(null=True, blank=True)  # its edition number
    status = models.CharField(max_length=10, choices=PurchaseStatus.choices, default=PurchaseStatus.PENDING)
    error = models.TextField(blank=True)
    tx = models.ForeignKey(ChainTx, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    tx_hash = models.CharField(max_length=66, blank=True)
    log_index = models.PositiveIntegerField(null=True, blank=True)
    block_number = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["tx_hash", "log_index"], condition=~Q(tx_hash=""),
                                               name="rights_purchase_event_once")]

    def __str__(self) -> str:
        return f"licence {self.serial or '?'} of {self.offer_id} to {self.licensee}"


class PaymentKind(models.TextChoices):
    CREDIT = "credit", _("Credited")
    WITHDRAWAL = "withdrawal", _("Withdrawn")


class Payment(models.Model):
    """The licensing contract's ledger as its events tell it: a payee credited from a sale (`work`
    the work it earned from; none for the platform's fee), or a withdrawal. Per payee and token,
    credits less withdrawals is what the contract owes."""

    kind = models.CharField(max_length=10, choices=PaymentKind.choices)
    payee = models.CharField(max_length=42, db_index=True)
    token = models.CharField(max_length=42)
    amount = models.DecimalField(max_digits=40, decimal_places=0)
    work = models.ForeignKey(Work, on_delete=models.SET_NULL, null=True, blank=True, related_name="payments")
    content_hash = models.CharField(max_length=64, blank=True)  # the credited work's (zeros: the fee)
    offer_id = models.CharField(max_length=66, blank=True)
    to = models.CharField(max_length=42, blank=True)  # where a withdrawal went
    tx_hash = models.CharField(max_length=66)
    log_index = models.PositiveIntegerField()
    block_number = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-block_number", "-log_index"]
        constraints = [models.UniqueConstraint(fields=["tx_hash", "log_index"], name="rights_payment_once")]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} to {self.payee}"
