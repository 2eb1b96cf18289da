"""Production: PostgreSQL, Redis and a real SECRET_KEY are required from the environment."""

from .base import *  # noqa: F403
from .base import database, env, logging_config

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY")  # no default: refuse to start without one
DATABASES = {"default": database(env.db("DATABASE_URL"))}

# One JSON object per line, for the log collector (LOG_FORMAT=plain for a person at a terminal).
LOGGING = logging_config(fmt=env.str("LOG_FORMAT", default="json"),
                         level=env.str("LOG_LEVEL", default="INFO"))

# (media: local files, or S3 when MEDIA_S3_BUCKET is set, as in base)
# Static files under hashed names (the bundles import nothing at run time: no rewriting inside them).
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}  # noqa: F405

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
# (Content-Security-Policy: base.py, the same in every configuration)
