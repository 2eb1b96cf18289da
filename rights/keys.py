"""The platform's signing key, and the addresses it holds shares for on people's behalf.

The key comes from CHAIN_PRIVATE_KEY, or from an encrypted keystore file (Web3 Secret Storage,
scrypt) unlocked with CHAIN_KEYSTORE_PASSWORD. Neither is ever written to the database. For local
use, with neither configured, a key and a random password are generated into CHAIN_DIR (mode 0600).

Each person's on-chain address is derived from the platform key and their user id (custodial:
the platform signs their transfers and licences when they ask it to); nothing per person is stored.
"""

import json
import os
import secrets
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak

_PASSWORD_FILE = "keystore.password"


def _write_private(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
        handle.write(content)
    tmp.replace(path)


def _keystore_password(keystore: Path) -> str:
    if settings.CHAIN_KEYSTORE_PASSWORD:
        return str(settings.CHAIN_KEYSTORE_PASSWORD)
    generated = Path(settings.CHAIN_DIR) / _PASSWORD_FILE
    if generated.exists() and keystore.parent == generated.parent:
        return generated.read_text().strip()
    raise ImproperlyConfigured(f"The keystore {keystore} needs CHAIN_KEYSTORE_PASSWORD to unlock it.")


def keystore_create(path: Path, *, password: str | None = None) -> str:
    """A new key, encrypted with scrypt into `path`; returns its address. Without `password`, a
    random one is generated beside it (development only)."""
    account = Account.create()
    if password is None:
        password = secrets.token_urlsafe(32)
        _write_private(path.parent / _PASSWORD_FILE, password)
    _write_private(path, json.dumps(Account.encrypt(account.key, password, kdf="scrypt",
                                                  iterations=settings.CHAIN_KEYSTORE_SCRYPT_N)))
    return str(account.address)


@cache
def _platform_key(private_key: str, keystore: str) -> bytes:
    if private_key:
        return bytes(Account.from_key(private_key).key)
    path = Path(keystore)
    if not path.exists():
        if not settings.EMBEDDED_CHAIN:
            raise ImproperlyConfigured(
                "Set CHAIN_PRIVATE_KEY, or CHAIN_KEYSTORE and CHAIN_KEYSTORE_PASSWORD.")
        keystore_create(path)
    return bytes(Account.decrypt(json.loads(path.read_text()), _keystore_password(path)))


def platform_account() -> LocalAccount:
    """The account that signs the platform's transactions (registrations, anchors)."""
    return Account.from_key(_platform_key(settings.CHAIN_PRIVATE_KEY, str(settings.CHAIN_KEYSTORE)))


def user_account(user_id: int) -> LocalAccount:
    """The custodial account holding a person's shares: derived, never stored."""
    seed = keccak(_platform_key(settings.CHAIN_PRIVATE_KEY, str(settings.CHAIN_KEYSTORE))
                  + b"storyloom/user/" + str(user_id).encode())
    return Account.from_key(seed)


def user_address(user_id: int) -> str:
    """The person's custodial address, recorded so the chain's addresses read back as people."""
    from rights.models import Custody

    address = str(user_account(user_id).address)
    Custody.objects.get_or_create(user_id=user_id, defaults={"address": address})
    return address
