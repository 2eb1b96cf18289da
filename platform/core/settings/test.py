"""Test settings: the same stack as local, with fast hashing and per-run isolation."""

import os
from pathlib import Path

from kernel.paths import VAR_DIR, valkey_socket

from .base import *  # noqa: F403
from .base import (
    CACHES,
    CHANNEL_LAYERS,
    DATABASES,
    EMBEDDED_REDIS,
    REST_FRAMEWORK,
    STATIC_ROOT,
    env,
)

SECRET_KEY = "test-only-" + "x" * 40  # tests never serve real users
DEBUG = False
WHITENOISE_USE_FINDERS = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Every chain test makes a keystore of its own: at the default cost, 3 s to write and read each.
CHAIN_KEYSTORE_SCRYPT_N = 2**10
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "test-media")  # worker processes get theirs
C2PA_DIR = env.path("C2PA_DIR", default=VAR_DIR / "test-c2pa")  # the development signer, made once
# Never a developer's installed aesthetic predictor (tests/aesthetics/test_predictor.py builds its own).
AESTHETIC_PREDICTOR_DIR = env.path("AESTHETIC_PREDICTOR_DIR", default=VAR_DIR / "test-aesthetic-predictor")
AESTHETICS_STANDING_REFRESH_S = 0.0  # a test's publish is seen by its next standing
# The tests' development signing key (chain tests use their own; servers a test starts get theirs).
CHAIN_DIR = Path(env.str("CHAIN_DIR", default=str(VAR_DIR / "test-chain")))
CHAIN_KEYSTORE = CHAIN_DIR / "keystore.json"

if EMBEDDED_REDIS:
    # tests/conftest.py starts a Valkey of their own on this socket.
    from kernel.redis_urls import for_celery, for_channel_layer, for_redis_py

    # One per run: two test runs on one checkout must not share (or delete) each other's server.
    REDIS_URL = f"unix://{valkey_socket(f'test-valkey-{os.getpid()}')}"
    CACHES["default"]["LOCATION"] = for_redis_py(REDIS_URL)
    CHANNEL_LAYERS["default"]["CONFIG"]["hosts"] = [for_channel_layer(REDIS_URL)]
    CELERY_BROKER_URL = for_celery(REDIS_URL)

# Keep test runs apart from a developer's running platform on the same Redis.
# Server processes a test starts share their test run's prefix (tests/servers.py passes it on).
_prefix = env.str("STORYLOOM_TEST_PREFIX", default=f"storyloom-test-{os.getpid()}")
CACHES["default"]["KEY_PREFIX"] = _prefix
CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = _prefix

REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="1000/min"),
        "user": env.str("THROTTLE_USER", default="1000/min"),
        "verify": env.str("THROTTLE_VERIFY", default="1000/min"),  # tests/abuse lowers it to test it
    },
}
# The suite signs up, resets and logs in far more often than people do; the account limits'
# tests (tests/abuse/test_account_throttles.py) lower these rates and turn the lock-out on.
ACCOUNT_THROTTLE_RATES = {scope: env.str(f"THROTTLE_{scope.upper()}", default="1000/min")
                          for scope in ("signup", "password_reset", "verify_email", "bad_token",
                                        "wallet_challenge")}
# The API fuzzer sends many wrong current passwords before a right one (tests/abuse lowers it).
PASSWORD_CHECK_FAILURE_LIMIT = env.int("PASSWORD_CHECK_FAILURE_LIMIT", default=100_000)
# (also: Django's test client logs in without a request, which axes' backend refuses)
AXES_ENABLED = env.bool("AXES_ENABLED", default=False)  # (on in benchmarks/abuse_limits.py)
# Every test socket comes from 127.0.0.1 and fuzzers open hundreds (tests/abuse lowers these).
WS_CONNECTS_PER_MINUTE_ACCOUNT = env.int("WS_CONNECTS_PER_MINUTE_ACCOUNT", default=100_000)
WS_CONNECTS_PER_MINUTE_ADDRESS = env.int("WS_CONNECTS_PER_MINUTE_ADDRESS", default=100_000)

# A file, not memory: browser tests run the server in a second process on the same database.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-db-{os.getpid()}.sqlite3")}

# whitenoise serves from the finders here; an existing STATIC_ROOT keeps it from warning.
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)
WEBHOOK_ALLOW_PRIVATE = True  # the tests' receivers listen on 127.0.0.1 (test_webhooks checks the guard)
HEALTH_CACHE_S = 0  # every test sees its own report (tests/core/test_health.py checks the cache)
RECOMMEND_DIR = env.path("RECOMMEND_DIR", default=VAR_DIR / "test-recommend")
RECOMMEND_CATALOGUE_TTL_S = 3600.0  # rebuilt when the services change the gallery, not behind a test's back
