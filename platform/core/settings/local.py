"""The embedded configuration `make up` runs: SQLite, embedded Valkey, console e-mail."""

from pathlib import Path

from core.secret import local_secret_key
from kernel.paths import VAR_DIR

from .base import *  # noqa: F403
from .base import STATIC_ROOT, env

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="") or local_secret_key(VAR_DIR / "secret_key")
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# whitenoise serves from the finders here; an existing STATIC_ROOT keeps it from warning.
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)
WEBHOOK_ALLOW_PRIVATE = env.bool("WEBHOOK_ALLOW_PRIVATE", default=True)  # receivers on this machine
