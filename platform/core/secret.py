"""A development SECRET_KEY generated once into var/ (never committed)."""

import secrets
from pathlib import Path


def local_secret_key(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        key = secrets.token_urlsafe(50)
        # O_EXCL: two processes starting at once must not overwrite each other's key.
        try:
            with open(path, "x") as fh:
                fh.write(key)
        except FileExistsError:
            pass
        else:
            path.chmod(0o600)
    return path.read_text().strip()
