"""What a verification asks about: a pasted SHA-256, ISCC code or transaction hash, or a file
(fingerprinted as registration does). Input that is none of these is refused on its field."""

import io
from dataclasses import dataclass
from typing import IO

import iscc_core
from django.conf import settings
from django.utils.translation import gettext as _
from eth_utils import is_checksum_address, to_checksum_address

from kernel.errors import ValidationFailed
from rights.fingerprints import UnsupportedFile, fingerprint


@dataclass(frozen=True)
class Query:
    kind: str  # "file", "sha256", "iscc" or "tx"
    value: str  # as normalised (lower-case hex; "ISCC:" upper-case)
    sha256: str = ""  # of the file (or the hash given)
    iscc: str = ""
    content_code: str = ""  # the ISCC Content-Code unit, for similarity
    phash: str = ""
    mime: str = ""
    size: int | None = None



_HEX = set("0123456789abcdef")


def _allowed() -> str:
    return _("Paste a SHA-256 (64 hexadecimal digits), an ISCC code (ISCC:…) or a transaction hash "
             "(0x and 64 hexadecimal digits).")


def _refuse(message: str) -> ValidationFailed:
    """A 400 on the field "query": what is wrong, then what is allowed."""
    return ValidationFailed(message, fields={"query": [message, _allowed()]}, code="invalid_query")


def parse_query(text: str) -> Query:
    """What a pasted identifier is; ValidationFailed (on the field "query") when it is none."""
    value = "".join(text.split())
    lowered = value.lower()
    if not value:
        raise ValidationFailed(_("Upload a file or paste an identifier to verify."), fields={
            "query": [_allowed()], "file": [_("Or upload a file.")]}, code="invalid_query")
    if lowered.startswith("iscc:"):
        try:
            code = iscc_core.iscc_normalize(value)
            iscc_core.iscc_validate(code, strict=True)
        except ValueError as error:
            raise _refuse(_("This is not a valid ISCC code (%(why)s).") % {"why": error}) from None
        return Query(kind="iscc", value=code, iscc=code, content_code=_content_code(code))
    if lowered.startswith("0x"):
        digits = lowered[2:]
        if set(digits) <= _HEX and len(digits) == 64:
            return Query(kind="tx", value=lowered)
        if set(digits) <= _HEX:
            raise _refuse(_("A transaction hash is 0x and 64 hexadecimal digits; this has %(n)s.") % {
                "n": len(digits)})
        raise _refuse(_("A transaction hash has only hexadecimal digits (0-9, a-f) after 0x."))
    if set(lowered) <= _HEX:
        if len(lowered) == 64:
            return Query(kind="sha256", value=lowered, sha256=lowered)
        raise _refuse(_("A SHA-256 is 64 hexadecimal digits; this has %(n)s.") % {"n": len(lowered)})
    raise _refuse(_("This is not a SHA-256, an ISCC code or a transaction hash."))


def _content_code(code: str) -> str:
    """The Content-Code unit of an ISCC-CODE, or the code itself when it is a Content-Code."""
    try:
        parsed = iscc_core.Code(code)
        if parsed.maintype == iscc_core.MT.CONTENT:
            return code
        if parsed.maintype == iscc_core.MT.ISCC:
            units = iscc_core.iscc_decompose(code)
            first = iscc_core.Code(units[0]) if units else None
            if first is not None and first.maintype == iscc_core.MT.CONTENT:
                return f"ISCC:{units[0]}"
    except ValueError:
        pass
    return ""


def file_query(upload: IO[bytes]) -> tuple[Query, bytes]:
    limit = settings.VERIFY_MAX_BYTES  # (the upload was capped at this before it was read: kernel.uploads)
    data = upload.read(limit + 1)
    allowed = _("A PNG, JPEG or WebP image or an MP4 or WebM video, up to %(mb)s MB.") % {
        "mb": limit // 2**20}
    if not data:
        raise ValidationFailed(_("The file is empty."), fields={"file": [allowed]}, code="invalid_file")
    try:
        prints = fingerprint(io.BytesIO(data), max_bytes=limit)
    except UnsupportedFile as error:
        raise ValidationFailed(_("This file cannot be verified: %(why)s.") % {"why": error},
                               fields={"file": [allowed]}, code="invalid_file") from None
    return Query(kind="file", value=prints.sha256, sha256=prints.sha256, iscc=prints.iscc,
                 content_code=prints.content_code, phash=prints.phash, mime=prints.mime,
                 size=prints.size), data


# --- who holds a licence, and which licence -------------------------------------------------------

TOKEN_ID_MAX = 2**256 - 1


def parse_holder(text: str) -> str:
    """An address asked about (0x and 40 hexadecimal digits; mixed case must be its EIP-55
    checksum), in EIP-55; "" when none. ValidationFailed on the field "holder" otherwise."""
    value = "".join(text.split())
    if not value:
        return ""
    allowed = _("An address is 0x and 40 hexadecimal digits (in one case, or with its EIP-55 checksum).")
    digits = value[2:].lower() if value[:2].lower() == "0x" else ""
    if not digits or not set(digits) <= _HEX or len(digits) != 40:
        message = _("This is not an address.")
        raise ValidationFailed(message, fields={"holder": [message, allowed]}, code="invalid_holder")
    mixed = value[2:] not in (digits, digits.upper())
    if mixed and not is_checksum_address(value):  # mixed case whose checksum is wrong: a typo
        message = _("This address's mixed case is not its checksum: it may have a typo.")
        raise ValidationFailed(message, fields={"holder": [message, allowed]}, code="invalid_holder")
    return to_checksum_address(value)


def parse_licence(text: str) -> str:
    """A licence token's id (its offer's id), as 0x and 64 lower-case hexadecimal digits; "" when
    none. Taken in hex (0x…, as Storyloom shows it) or in decimal (as wallets show token ids).
    ValidationFailed on the field "licence" otherwise."""
    value = "".join(text.split()).lower()
    if not value:
        return ""
    allowed = _("A licence token's id: 0x and up to 64 hexadecimal digits, or its number in decimal.")
    number: int | None = None
    if value.startswith("0x") and 0 < len(value) - 2 <= 64 and set(value[2:]) <= _HEX:
        number = int(value[2:], 16)
    elif value.isascii() and value.isdigit() and len(value) <= 78:
        number = int(value)
    if number is None or number > TOKEN_ID_MAX:
        message = _("This is not a licence token's id.")
        raise ValidationFailed(message, fields={"licence": [message, allowed]}, code="invalid_licence")
    return f"0x{number:064x}"
