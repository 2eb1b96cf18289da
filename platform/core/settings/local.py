"""The embedded configuration `make up` runs: SQLite, embedded Valkey, console e-mail."""

from pathlib import Path

from core.secret import local_secret_key
from kernel.paths import VAR_DIR

from .base import *  # noqa: F403
from .base import STATIC_ROOT, env

# Off unless DEBUG=1: people trying the platform see its own 404 and 500 pages, never Django's
# debug pages (which list every URL pattern and the settings). Tracebacks still reach the
# console `make up` prints to (django.request logs each failure with its traceback).
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="") or local_secret_key(VAR_DIR / "secret_key")
# whitenoise serves static files from the finders (no collectstatic), whatever DEBUG is, and picks
# up edited and new files without a restart.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# whitenoise serves from the finders here; an existing STATIC_ROOT keeps it from warning.
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)
WEBHOOK_ALLOW_PRIVATE = env.bool("WEBHOOK_ALLOW_PRIVATE", default=True)  # receivers on this machine
