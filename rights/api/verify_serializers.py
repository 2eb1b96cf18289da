"""The public verification's input and its answer (rights.verify.lookup's dataclasses), for the API and
its schema."""

from rest_framework import serializers

HOLDER_HELP = ("An address (0x and 40 hex digits; mixed case must be its EIP-55 checksum): the answer's "
               "`holder` says whether it holds a licence of the work found (of `licence` when given), read "
               "live from the licensing contract.")
LICENCE_HELP = ("A licence token's id, which is its offer's id: 0x and up to 64 hex digits, or the number in "
                "decimal. Alone (no query, no file), it verifies the work that licence is of (read live with "
                "licenceTerms); with `holder`, only that licence is checked.")


class VerifyQueryInput(serializers.Serializer):
    query = serializers.CharField(max_length=200, required=False, allow_blank=True, default="",
                                  help_text="A SHA-256 (64 hex digits), an ISCC code (ISCC:…) or a "
                                  "transaction hash (0x and 64 hex digits). Needed unless `licence` is "
                                  "given.")
    holder = serializers.CharField(max_length=100, required=False, allow_blank=True, default="",
                                   help_text=HOLDER_HELP)
    licence = serializers.CharField(max_length=100, required=False, allow_blank=True, default="",
                                    help_text=LICENCE_HELP)


class VerifyInput(serializers.Serializer):
    query = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                  help_text="A SHA-256, an ISCC code or a transaction hash; or, instead:")
    file = serializers.FileField(required=False, help_text="A PNG, JPEG or WebP image or an MP4 or WebM "
                                 "video (the same size limit as for registering).")
    holder = serializers.CharField(max_length=100, required=False, allow_blank=True, default="",
                                   help_text=HOLDER_HELP)
    licence = serializers.CharField(max_length=100, required=False, allow_blank=True, default="",
                                    help_text=LICENCE_HELP)


class VerifyQuerySerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="file, sha256, iscc, tx, or licence (a licence token's id "
                                 "alone: sha256 is then the content hash the licence is of).")
    value = serializers.CharField()
    sha256 = serializers.CharField()
    iscc = serializers.CharField()
    content_code = serializers.CharField(help_text="The ISCC Content-Code unit compared for similarity.")
    phash = serializers.CharField()
    mime = serializers.CharField()
    size = serializers.IntegerField(allow_null=True)


class VerifyOwnerSerializer(serializers.Serializer):
    address = serializers.CharField()
    bps = serializers.IntegerField(help_text="Basis points: 10,000 in all.")
    percent = serializers.FloatField()


class VerifyChainRecordSerializer(serializers.Serializer):
    chain_id = serializers.IntegerField()
    contract = serializers.CharField()
    content_hash = serializers.CharField()
    registered = serializers.BooleanField(help_text="stateOf(contentHash) is not zero.")
    state = serializers.CharField(help_text="stateOf(contentHash).")
    owners = VerifyOwnerSerializer(many=True, help_text="From the latest WorkRegistered/OwnersChanged event.")
    consistent = serializers.BooleanField(allow_null=True, help_text="keccak256(abi.encode(owners, shares)) "
                                          "of that event equals stateOf.")
    registrant = serializers.CharField()
    iscc = serializers.CharField()
    metadata_uri = serializers.CharField()
    terms_hash = serializers.CharField(help_text="0x-hex SHA-256 of the licence text the work was "
                                       "registered under.")
    block_number = serializers.IntegerField(allow_null=True)
    block_time = serializers.DateTimeField(allow_null=True)
    transaction = serializers.CharField()
    changed_block = serializers.IntegerField(allow_null=True)
    changed_at = serializers.DateTimeField(allow_null=True)
    changed_transaction = serializers.CharField()
    note = serializers.CharField()


class VerifyDatabaseRecordSerializer(serializers.Serializer):
    status = serializers.CharField()
    owners = VerifyOwnerSerializer(many=True)
    registrant = serializers.CharField()
    block_number = serializers.IntegerField(allow_null=True)
    registered_at = serializers.DateTimeField(allow_null=True)
    transaction = serializers.CharField()


class VerifyWorkSerializer(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    certificate_url = serializers.CharField()
    mime = serializers.CharField()
    sha256 = serializers.CharField()
    iscc = serializers.CharField()


class VerifyLicenceSerializer(serializers.Serializer):
    kind = serializers.CharField()
    name = serializers.CharField()
    url = serializers.CharField()
    terms = serializers.CharField()
    terms_sha256 = serializers.CharField()
    terms_hash_ok = serializers.BooleanField()
    terms_on_chain = serializers.BooleanField(allow_null=True, help_text="The registration's terms hash, "
                                              "read live, is terms_sha256 (null: not read live).")


class VerifyProvenanceSerializer(serializers.Serializer):
    read_from = serializers.CharField(help_text="upload (the file given) or asset (our stored file of "
                                      "the work's generated asset).")
    present = serializers.BooleanField()
    valid = serializers.BooleanField()
    state = serializers.CharField()
    signer = serializers.CharField(allow_null=True)
    failures = serializers.ListField(child=serializers.CharField())
    facts = serializers.DictField(allow_null=True, help_text="preset, seed, job_id, kind, parent_sha256.")


class VerifyLineageStepSerializer(serializers.Serializer):
    depth = serializers.IntegerField()
    sha256 = serializers.CharField()
    kind = serializers.CharField()
    created_at = serializers.DateTimeField()
    work = VerifyWorkSerializer(allow_null=True)


class VerifyBatchProofSerializer(serializers.Serializer):
    root = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.root (DRF pops it)
    leaf = serializers.CharField()
    proof = serializers.ListField(child=serializers.CharField())
    proof_ok = serializers.BooleanField()
    live = serializers.BooleanField()
    anchored = serializers.BooleanField(allow_null=True)
    anchored_at = serializers.DateTimeField(allow_null=True)
    included = serializers.BooleanField(allow_null=True)


class VerifyOfferSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The offer's id, which is its licence token's id (0x-hex).")
    token_id = serializers.CharField(help_text="The licence token's id in decimal (as wallets show it).")
    title = serializers.CharField()
    licence = serializers.CharField(help_text="The licence kind.")
    licence_name = serializers.CharField()
    commercial = serializers.BooleanField()
    remix_allowed = serializers.BooleanField()
    price = serializers.CharField(help_text="For people: \"0.3 ETH\", \"12.50 tUSD\".")
    price_units = serializers.CharField(help_text="In the currency's smallest unit (wei, or the "
                                        "stablecoin's).")
    currency = serializers.CharField(help_text="native or stablecoin.")
    sold = serializers.IntegerField()
    max_quantity = serializers.IntegerField(help_text="The edition size; 0: unlimited.")
    status = serializers.CharField(help_text="active, sold_out, closing or closed (licences sold stay "
                                   "valid).")
    status_label = serializers.CharField()
    url = serializers.CharField(help_text="The offer's page (buy it there).")
    terms_sha256 = serializers.CharField()


class VerifyHoldingSerializer(serializers.Serializer):
    offer_id = serializers.CharField()
    token_id = serializers.CharField()
    title = serializers.CharField(help_text="The offer's title (empty when Storyloom has no offer of it).")
    tokens = serializers.IntegerField(help_text="balanceOf(holder, token id), read live.")


class VerifyHolderSerializer(serializers.Serializer):
    holder = serializers.CharField(help_text="The address asked about, in EIP-55.")
    licence = serializers.CharField(help_text="The licence asked about (empty: any of the work's).")
    state = serializers.CharField(help_text="licensed, not_licensed, no_such_licence, other_work (the "
                                  "licence is of another work) or unknown (the chain could not be read).")
    message = serializers.CharField(help_text="The answer in plain words.")
    live = serializers.BooleanField()
    error = serializers.CharField(help_text="Why it could not be checked, when it could not.")
    holdings = VerifyHoldingSerializer(many=True, help_text="The licences it holds.")
    checked = serializers.ListField(child=serializers.CharField(), help_text="The licence token ids read.")


class VerifyLicenceTokenSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="0x and 64 hex digits.")
    token_id = serializers.CharField(help_text="In decimal.")
    live = serializers.BooleanField(help_text="The licensing contract was read live.")
    exists = serializers.BooleanField(allow_null=True, help_text="licenceTerms names a work (null: not read, "
                                      "and Storyloom knows no such licence).")
    content_hash = serializers.CharField(help_text="The SHA-256 of the work it licenses (the chain's; "
                                         "Storyloom's when not read live).")
    terms_hash = serializers.CharField(help_text="0x-hex, from licenceTerms.")
    terms_match = serializers.BooleanField(allow_null=True, help_text="The chain's terms hash is the "
                                           "offer's terms_sha256 (false: a mismatch; null: not both known).")
    offer = VerifyOfferSerializer(allow_null=True, help_text="Storyloom's published offer of this id.")
    message = serializers.CharField()


class VerifyMatchSerializer(serializers.Serializer):
    relation = serializers.CharField(help_text="exact or near.")
    matched_by = serializers.CharField(help_text="sha256, iscc, transaction, licence, or similar (near "
                                       "matches).")
    sha256 = serializers.CharField()
    work = VerifyWorkSerializer(allow_null=True)
    verified_live = serializers.BooleanField()
    chain = VerifyChainRecordSerializer(allow_null=True)
    database = VerifyDatabaseRecordSerializer(allow_null=True)
    matches_database = serializers.BooleanField(allow_null=True)
    licence = VerifyLicenceSerializer(allow_null=True)
    provenance = VerifyProvenanceSerializer(allow_null=True)
    lineage = VerifyLineageStepSerializer(many=True)
    batch = VerifyBatchProofSerializer(allow_null=True)
    content_bits = serializers.IntegerField(allow_null=True)
    phash_bits = serializers.IntegerField(allow_null=True)
    offers = VerifyOfferSerializer(many=True, help_text="The work's published licence offers.")


class VerificationSerializer(serializers.Serializer):
    query = VerifyQuerySerializer()
    verdict = serializers.CharField(help_text="registered, anchored (in a batch), pending, unverified (the "
                                    "chain could not be read), missing_on_chain or not_registered.")
    message = serializers.CharField()
    registered = serializers.BooleanField()
    live = serializers.BooleanField(help_text="The chain was read live for this answer.")
    chain_error = serializers.CharField()
    chain_id = serializers.IntegerField()
    contract = serializers.CharField()
    exact = VerifyMatchSerializer(allow_null=True)
    near = VerifyMatchSerializer(many=True)
    provenance = VerifyProvenanceSerializer(allow_null=True)
    lineage = VerifyLineageStepSerializer(many=True)
    notes = serializers.ListField(child=serializers.CharField())
    checked_at = serializers.DateTimeField()
    licence_token = VerifyLicenceTokenSerializer(allow_null=True, help_text="The licence asked about.")
    holder = VerifyHolderSerializer(allow_null=True, help_text="Whether the holder asked about holds a "
                                    "licence (null: no holder asked about).")
