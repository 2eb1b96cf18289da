"""Token secrets: `slm_<prefix>_<secret>`; stored as SHA-256 (the secret has 256 bits of entropy,
so a slow hash adds nothing and a fast one keeps every authenticated request cheap)."""

import hashlib
import secrets

TOKEN_SCHEME = "slm"


def token_generate() -> tuple[str, str, str]:
    """Return (raw token, prefix, hash)."""
    prefix = secrets.token_hex(4)
    raw = f"{TOKEN_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    return raw, prefix, token_hash(raw)


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()
