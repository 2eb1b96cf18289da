"""Sign-In with Ethereum (EIP-4361) messages, composed by the server, and who signed one (EIP-191).

The server writes the whole message and keeps it; a signed message is accepted only if it equals,
byte for byte, one the server issued, so nothing here parses what a client sends. Only externally
owned accounts can sign this way: a contract wallet (ERC-1271) cannot be linked.
"""

import re
import secrets
import string
from dataclasses import dataclass
from datetime import UTC, datetime

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_keys.exceptions import BadSignature
from eth_keys.exceptions import ValidationError as KeyValidationError
from eth_utils import is_checksum_address, to_checksum_address

VERSION = "1"
NONCE_ALPHABET = string.ascii_letters + string.digits
NONCE_LENGTH = 20  # EIP-4361: at least 8 alphanumerics; 20 of 62 is about 119 bits
ADDRESS_PATTERN = r"^0x[0-9a-fA-F]{40}$"
SIGNATURE_PATTERN = r"^0x[0-9a-fA-F]{130}$"  # r, s and v: 65 bytes
NONCE_LINE = re.compile(r"^Nonce: ([A-Za-z0-9]{8,64})$", re.MULTILINE)
# EIP-4361's statement: RFC 3986 reserved and unreserved characters and spaces, no line break.
STATEMENT_TEXT = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;= ]*$")


def checksummed(address: str) -> str | None:
    """The EIP-55 form of an address given as 0x and 40 hexadecimal digits, or None. An address in
    mixed case must carry a right checksum (a wrong one is a typo); one in one case has none."""
    if not re.match(ADDRESS_PATTERN, address):
        return None
    digits = address[2:]
    if digits != digits.lower() and digits != digits.upper() and not is_checksum_address(address):
        return None
    return str(to_checksum_address(address))


def nonce_new() -> str:
    return "".join(secrets.choice(NONCE_ALPHABET) for _ in range(NONCE_LENGTH))


def nonce_of(message: str) -> str | None:
    """The nonce a message names on its `Nonce:` line, to find the challenge it claims to answer."""
    match = NONCE_LINE.search(message)
    return match.group(1) if match else None


def timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC to the second, as `2021-09-30T16:25:24Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class SiweMessage:
    domain: str  # the RFC 3986 authority asking (host and port)
    address: str  # EIP-55
    statement: str
    uri: str
    chain_id: int
    nonce: str
    issued_at: datetime
    expiration_time: datetime

    def __post_init__(self) -> None:
        if "\n" in self.domain or "\n" in self.uri or not STATEMENT_TEXT.match(self.statement):
            raise ValueError("a line break, or a character EIP-4361 does not allow in a statement")

    def text(self) -> str:
        """The message in EIP-4361's format (no Not Before, Request ID or Resources)."""
        return (f"{self.domain} wants you to sign in with your Ethereum account:\n"
                f"{self.address}\n"
                "\n"
                f"{self.statement}\n"
                "\n"
                f"URI: {self.uri}\n"
                f"Version: {VERSION}\n"
                f"Chain ID: {self.chain_id}\n"
                f"Nonce: {self.nonce}\n"
                f"Issued At: {timestamp(self.issued_at)}\n"
                f"Expiration Time: {timestamp(self.expiration_time)}")


def signer(message: str, signature: str) -> str | None:
    """The address (EIP-55) whose key made this EIP-191 `personal_sign` signature of the message,
    or None when the signature is no signature at all."""
    try:
        return str(Account.recover_message(encode_defunct(text=message), signature=signature))
    except (ValueError, TypeError, BadSignature, KeyValidationError):
        return None
