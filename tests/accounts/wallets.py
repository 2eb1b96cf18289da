"""Linked wallets for tests: what a browser wallet would sign, and a wallet linked the way people
link theirs (a challenge issued by the service, signed with a test key)."""

from typing import Any

from eth_account import Account
from eth_account.messages import encode_defunct

from accounts import services
from accounts.models import User, Wallet


def wallet_key(seed: int) -> Any:
    """A fixed private key for tests (never funded anywhere): `wallet_key(1).address`..."""
    return Account.from_key(seed.to_bytes(32, "big"))


def personal_sign(message: str, key: Any) -> str:
    """What an EIP-1193 wallet's personal_sign answers: EIP-191 over the message's UTF-8, as 0x and
    130 hexadecimal digits."""
    signature = key.sign_message(encode_defunct(text=message)).signature.hex()
    return signature if signature.startswith("0x") else "0x" + signature


def signed_challenge(user: User, key: Any, *, domain: str = "testserver") -> dict[str, str]:
    """A challenge issued to `user` for the key's address, signed: the body POST
    /api/v1/profile/wallet takes (once)."""
    challenge = services.wallet_challenge(user=user, address=key.address, domain=domain,
                                          uri=f"http://{domain}/accounts/profile/")
    return {"message": challenge.message, "signature": personal_sign(challenge.message, key)}


def wallet_linked(user: User, key: Any) -> Wallet:
    """The key's address linked to `user`, as by the person signing in the browser."""
    return services.wallet_link(user=user, **signed_challenge(user, key))
