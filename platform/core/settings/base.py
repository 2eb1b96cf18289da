"""Settings shared by every environment; everything configurable comes from the environment."""

import sys
from pathlib import Path
from typing import Any

import environ
from csp.constants import NONCE
from django.utils.translation import gettext_lazy as _

from kernel.logs import logging_config
from kernel.paths import BASE_DIR, VAR_DIR, valkey_socket
from kernel.redis_urls import for_celery, for_channel_layer, for_redis_py

env = environ.Env()

PLATFORM_DIR = BASE_DIR / "platform"
if str(PLATFORM_DIR) not in sys.path:  # celery/uvicorn children import settings directly
    sys.path.insert(0, str(PLATFORM_DIR))

DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "csp",
    "axes",  # log-in lock-out after repeated failures (accounts/lockout.py)
    "core",
    "accounts",
    "inbox",
    "projects",
    "collab",
    "aesthetics",
    "generation",
    "rights",
    "recommend",
    "reviews",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",  # (request latency: /metrics)
    "kernel.logs.request_id_middleware",  # early: every later line logged carries the id
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "kernel.uploads.UploadLimitMiddleware",  # caps bodies before the CSRF check reads a form
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    "axes.middleware.AxesMiddleware",  # last (axes' docs): turns a lock-out into its page
]

ROOT_URLCONF = "core.urls"
WSGI_APPLICATION = "core.wsgi.application"
ASGI_APPLICATION = "core.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "projects.context_processors.navigation",
            ],
            # In every template without a {% load %}: {% static %} and `person|avatar_url`.
            "builtins": ["django.templatetags.static", "accounts.templatetags.avatars"],
        },
    },
]


def database(config: dict[str, Any]) -> dict[str, Any]:
    """Connections are kept: a reconnect per call (Django's default) was a large share of each
    storyboard update's cost. Workers keep one per process. A web process on PostgreSQL with
    DB_POOL_MAX_SIZE set (`up` and deploy/compose.yaml set it) takes them from a pool of that
    size instead: under ASGI each request's sync code runs in a thread of its own, and a kept
    connection per thread piled up (the cluster under load reached PostgreSQL's 100 connections
    and answered 500; benchmarks/cluster_load.py)."""
    config = {**config, "ATOMIC_REQUESTS": False}
    pool_max = env.int("DB_POOL_MAX_SIZE", default=0)
    if pool_max and config["ENGINE"] == "django.db.backends.postgresql":  # (Django checks each checkout)
        pool = {"min_size": 1, "max_size": pool_max, "timeout": env.float("DB_POOL_TIMEOUT_S", default=10.0)}
        return {**config, "OPTIONS": {**config.get("OPTIONS", {}), "pool": pool},
                "CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": False}
    return {**config, "CONN_MAX_AGE": env.int("DB_CONN_MAX_AGE", default=60), "CONN_HEALTH_CHECKS": True}


DATABASES = {
    "default": database(env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'storyloom.sqlite3'}")),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout let the web server and the workers share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"  # the dashboard
LOGOUT_REDIRECT_URL = "accounts:login"

# --- log-in lock-out (django-axes; the policy and its reasons are in accounts/lockout.py) ---
# Failed log-ins for one username from one client address before that pair is locked...
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
# ...and from all addresses together before the username is locked everywhere (a password reset
# unlocks it for its owner).
LOGIN_USERNAME_FAILURE_LIMIT = env.int("LOGIN_USERNAME_FAILURE_LIMIT", default=30)
# A lock ends this long after the last failed attempt.
LOGIN_COOLOFF_MINUTES = env.int("LOGIN_COOLOFF_MINUTES", default=15)
# Wrong current passwords when changing it (page and API), per account in a window; then 429.
PASSWORD_CHECK_FAILURE_LIMIT = env.int("PASSWORD_CHECK_FAILURE_LIMIT", default=10)
PASSWORD_CHECK_WINDOW_S = env.int("PASSWORD_CHECK_WINDOW_S", default=3600)
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out attempt before the password check
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "accounts.lockout.LockoutHandler"  # counts in the cache (Redis), see lockout.py
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
AXES_FAILURE_LIMIT = "accounts.lockout.username_failure_limit"
AXES_COOLOFF_TIME = "accounts.lockout.cooloff"
AXES_CLIENT_IP_CALLABLE = "accounts.throttles.client_address"  # the TRUSTED_PROXIES rule
AXES_USERNAME_CALLABLE = "accounts.lockout.login_username"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = True  # a successful log-in forgets that name's failures from that address
AXES_ENABLE_ADMIN = False  # attempts live in the cache, not in axes' tables: nothing to show

# --- i18n ---
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

# --- static and media ---
STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "static")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Media on S3-compatible object storage (AWS, MinIO, R2...) when a bucket is named. Credentials
# come from MEDIA_S3_ACCESS_KEY / MEDIA_S3_SECRET_KEY or boto3's usual sources (environment,
# instance role). Members get media through short-lived signed links.
MEDIA_S3_BUCKET = env.str("MEDIA_S3_BUCKET", default="")
if MEDIA_S3_BUCKET:
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
        "bucket_name": MEDIA_S3_BUCKET,
        "endpoint_url": env.str("MEDIA_S3_ENDPOINT_URL", default="") or None,
        "region_name": env.str("MEDIA_S3_REGION", default="") or None,
        "access_key": env.str("MEDIA_S3_ACCESS_KEY", default="") or None,
        "secret_key": env.str("MEDIA_S3_SECRET_KEY", default="") or None,
        "location": env.str("MEDIA_S3_PREFIX", default=""),
        "default_acl": None,  # private objects; the bucket's own policy applies
        "querystring_auth": True,
        "querystring_expire": 600,
        "signature_version": "s3v4",
        "file_overwrite": False,
    }}
# No URL serves MEDIA_ROOT as a folder: every file goes out through a view that checks the
# caller's right to it (assets, works, avatars), or as a short-lived signed object-storage link.
AVATAR_MAX_BYTES = env.int("AVATAR_MAX_BYTES", default=2 * 1024 * 1024)  # (read before the upload is)
AVATAR_MAX_PIXELS = 4096

# --- browser security headers (every configuration) ---
SECURE_CONTENT_TYPE_NOSNIFF = True  # X-Content-Type-Options: nosniff on every response
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (django-csp): no inline scripts or styles, nothing from elsewhere. Media
# from object storage comes through signed links on its endpoint, which must then be allowed.
_MEDIA_SOURCES = ["'self'"]
if MEDIA_S3_BUCKET:
    # A custom endpoint (MinIO, R2...) gets path-style links on it; AWS virtual-hosted ones.
    _s3_endpoint = env.str("MEDIA_S3_ENDPOINT_URL", default="").rstrip("/")
    _s3_region = env.str("MEDIA_S3_REGION", default="")
    _MEDIA_SOURCES += [_s3_endpoint] if _s3_endpoint else [
        f"https://{MEDIA_S3_BUCKET}.s3.amazonaws.com",
        *([f"https://{MEDIA_S3_BUCKET}.s3.{_s3_region}.amazonaws.com"] if _s3_region else [])]
CONTENT_SECURITY_POLICY: dict[str, Any] = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # (and <style> elements with the response's nonce: the storyboard's editor (CodeMirror)
        # writes its own; style attributes stay blocked, nonce or not)
        "style-src": ["'self'", NONCE],
        "img-src": [*_MEDIA_SOURCES, "data:", "blob:"],
        "media-src": [*_MEDIA_SOURCES, "blob:"],
        # 'self' matches ws:/wss: on the page's own host and port (CSP level 3).
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- Redis: channel layer, cache, Celery broker ---
REDIS_URL = env.str("REDIS_URL", default=f"unix://{valkey_socket()}")
EMBEDDED_REDIS = "REDIS_URL" not in env.ENVIRON

CACHES: dict[str, dict[str, Any]] = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": for_redis_py(REDIS_URL),
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="storyloom"),
    }
}

CHANNEL_LAYERS: dict[str, dict[str, Any]] = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [for_channel_layer(REDIS_URL)],
            "prefix": env.str("CHANNELS_PREFIX", default="storyloom"),
            # The default capacity (100) silently drops group messages under bursts.
            "capacity": 5000,
            "expiry": 60,
            "group_expiry": 86400,
        },
    }
}

CELERY_BROKER_URL = for_celery(REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    # Their own workers: a slow receiver never holds a render or a chain transaction.
    "generation.tasks.webhook_deliver": {"queue": "webhooks"},  # (exact names win over patterns)
    "generation.tasks.jobs_recover": {"queue": "default"},
    "generation.tasks.model_install": {"queue": "default"},  # a download never holds a render's turn
    "generation.tasks.asset_assess": {"queue": "default"},  # measuring a render never holds the next one
    "generation.*": {"queue": "gpu"},
    "rights.tasks.work_assess": {"queue": "default"},  # measuring an upload never holds a transaction
    "rights.*": {"queue": "chain"},
    "recommend.*": {"queue": "default"},
}
CELERY_TASK_ACKS_LATE = True
# Workers log through LOGGING (JSON lines with request ids in production), not Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Longer than the longest job, so a slow render is not handed to a second worker.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 6 * 3600}
# Every task ends: at its soft limit SoftTimeLimitExceeded is raised in it (to end cleanly), at the
# hard one its process is killed. Long tasks set their own soft limit (kernel.tasks.time_limits),
# with a hard one as far after it as here; all below the visibility timeout.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "expire-invitations": {
        "task": "projects.tasks.invitations_expire",
        "schedule": 3600.0,
    },
    "inbox-digests": {  # e-mail digests of unread notifications (inbox/services.py)
        "task": "inbox.tasks.digests_send",
        "schedule": float(env.int("INBOX_DIGEST_EVERY_S", default=3600)),
    },
    "inbox-prune": {
        "task": "inbox.tasks.notifications_prune",
        "schedule": 6 * 3600.0,
    },
    "recover-stalled-jobs": {  # (jobs silent for GENERATION_STALE_AFTER_S go back in the queue)
        "task": "generation.tasks.jobs_recover",
        "schedule": float(env.int("GENERATION_RECOVER_EVERY_S", default=60)),
    },
    "chain-sweep": {
        "task": "rights.tasks.chain_sweep",
        "schedule": 15.0,
    },
    "batch-collect": {
        "task": "rights.tasks.batch_collect",
        "schedule": 15.0,
    },
    "index-chain-events": {
        "task": "rights.tasks.index_events",
        "schedule": 10.0,
    },
    "recommend-retrain": {
        "task": "recommend.tasks.retrain",
        "schedule": float(env.int("RECOMMEND_RETRAIN_S", default=3600)),
    },
}

# --- API ---
# Request bodies the API parses as JSON: larger ones get 413, deeper ones 400 (kernel/api/parsers.py).
API_JSON_MAX_BYTES = env.int("API_JSON_MAX_BYTES", default=1024 * 1024)
API_JSON_MAX_DEPTH = env.int("API_JSON_MAX_DEPTH", default=32)
# Pictures larger than this many pixels are refused before they are decoded (decompression bombs).
IMAGE_MAX_PIXELS = env.int("IMAGE_MAX_PIXELS", default=40_000_000)

# --- websockets: what one socket may cost (collab.consumers, projects.consumers, kernel.ws_limits) ---
# Largest frame a client may send (uvicorn's --ws-max-size; consumers close 1009 above it too).
WS_MAX_FRAME_BYTES = env.int("WS_MAX_FRAME_BYTES", default=1024 * 1024)
# A storyboard socket whose unsent messages exceed either bound is not reading: it is closed (1013).
WS_OUTBOX_MAX_MESSAGES = env.int("WS_OUTBOX_MAX_MESSAGES", default=5000)
WS_OUTBOX_MAX_BYTES = env.int("WS_OUTBOX_MAX_BYTES", default=8 * 1024 * 1024)
# One client's awareness (presence) state, as JSON; larger states are dropped.
WS_AWARENESS_MAX_BYTES = env.int("WS_AWARENESS_MAX_BYTES", default=4096)
# Entries read from one awareness message (a socket speaks for one client; the rest is skipped).
WS_AWARENESS_MAX_ENTRIES = env.int("WS_AWARENESS_MAX_ENTRIES", default=64)
# Awareness not renewed for this long is forgotten, as y-protocols does (clients renew every 15 s).
WS_AWARENESS_TIMEOUT_S = env.int("WS_AWARENESS_TIMEOUT_S", default=30)
# Websocket handshakes per minute, per account and per client address; above: HTTP 429 (kernel.ws_limits).
WS_CONNECTS_PER_MINUTE_ACCOUNT = env.int("WS_CONNECTS_PER_MINUTE_ACCOUNT", default=120)
WS_CONNECTS_PER_MINUTE_ADDRESS = env.int("WS_CONNECTS_PER_MINUTE_ADDRESS", default=600)
# Request bodies are capped before they are read (kernel/uploads.py): over a route's cap for files
# (WORK_MAX_BYTES, VERIFY_MAX_BYTES, AVATAR_MAX_BYTES) plus the largest other part a body may carry,
# a Content-Length is answered 413 at once and a body without one stops being read. Routes that
# take no file refuse files over this:
UPLOAD_DEFAULT_MAX_BYTES = env.int("UPLOAD_DEFAULT_MAX_BYTES", default=1024 * 1024)
# A file checked on /verify/ or POST /api/v1/verify (anonymous, so smaller than WORK_MAX_BYTES).
VERIFY_MAX_BYTES = env.int("VERIFY_MAX_BYTES", default=50 * 1024 * 1024)
# Uploaded videos (kernel/ffmpeg.py, rights/fingerprints.py): refused from their header, before any
# frame is decoded, with larger frames (pixels: DCI 4K) or a longer duration (seconds).
VIDEO_MAX_PIXELS = env.int("VIDEO_MAX_PIXELS", default=4096 * 2160)
VIDEO_MAX_SECONDS = env.int("VIDEO_MAX_SECONDS", default=600)
# Each ffmpeg run on an uploaded file: wall-clock seconds, CPU seconds and address space (bytes).
FFMPEG_TIMEOUT_S = env.int("FFMPEG_TIMEOUT_S", default=120)
FFMPEG_CPU_S = env.int("FFMPEG_CPU_S", default=120)
FFMPEG_MEMORY_BYTES = env.int("FFMPEG_MEMORY_BYTES", default=1536 * 1024 * 1024)
# Encoding (and reading back) the platform's own renders: wall-clock seconds per ffmpeg run.
MEDIA_ENCODE_TIMEOUT_S = env.int("MEDIA_ENCODE_TIMEOUT_S", default=900)

REST_FRAMEWORK = {
    "DEFAULT_PARSER_CLASSES": [
        "kernel.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "accounts.scopes.TokenScopePermission",  # what an API token may do (its scopes)
    ],
    "DEFAULT_PAGINATION_CLASS": "kernel.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "kernel.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    # How many proxies in front of the web append to X-Forwarded-For (0: none; the header is
    # the client's own words then, and throttles count the connection's address).
    "NUM_PROXIES": env.int("TRUSTED_PROXIES", default=0),
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="60/min"),
        "user": env.str("THROTTLE_USER", default="600/min"),
        # Verifications (/verify/ and /api/v1/verify, counted together): anonymous, and each one
        # fingerprints a file or reads the chain.
        "verify": env.str("THROTTLE_VERIFY", default="20/min"),
        # Reviews and replies posted from one client address (the page and the API counted together),
        # whatever the accounts: on top of each account's own limit (REVIEWS_PER_MINUTE, _PER_DAY).
        "review_post": env.str("THROTTLE_REVIEW_POST", default="30/min"),
    },
}
# Account actions anyone may try, counted per client address (the TRUSTED_PROXIES rule) by the
# pages and the API together (accounts/throttles.py); a password reset also per e-mail address.
# Read at each request, unlike DEFAULT_THROTTLE_RATES (DRF copies those at import).
ACCOUNT_THROTTLE_RATES = {
    "signup": env.str("THROTTLE_SIGNUP", default="10/hour"),
    "password_reset": env.str("THROTTLE_PASSWORD_RESET", default="5/hour"),
    "verify_email": env.str("THROTTLE_VERIFY_EMAIL", default="30/hour"),
    # Bearer tokens that authenticate nobody, per client address; then 429 before any lookup.
    "bad_token": env.str("THROTTLE_BAD_TOKEN", default="30/min"),
    # Sign-In with Ethereum challenges for linking a wallet, per account (accounts.throttles).
    "wallet_challenge": env.str("THROTTLE_WALLET_CHALLENGE", default="10/min"),
}
# How long a wallet-linking challenge (an EIP-4361 message) may be signed and sent back.
WALLET_CHALLENGE_TTL_S = env.int("WALLET_CHALLENGE_TTL_S", default=300)
SPECTACULAR_SETTINGS = {
    "TITLE": "Storyloom API",
    "DESCRIPTION": "Projects, members, invitations, profiles and API tokens.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "LicenceKindEnum": "rights.models.LicenceKind",
        "JobKindEnum": "generation.models.JobKind",
        "BeaconKindEnum": "recommend.api.serializers.BEACON_KINDS",
        "ReasonCodeEnum": "recommend.api.serializers.REASON_CODES",
        "NotificationKindEnum": "inbox.models.Kind",
        "GalleryReviewStatusEnum": "reviews.models.ReviewStatus",
        "ReceptionStatusEnum": "recommend.api.serializers.RECEPTION_STATUSES",
        "PublicationStatusEnum": "recommend.models.PublicationStatus",
    },
    # Every operation documents its errors (the one error shape) as its `default` response.
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "kernel.api.schema.error_responses"],
}

# --- health (core/health.py) ---
# The detailed /healthz is for staff, or a monitor sending `Authorization: Bearer <HEALTH_TOKEN>`
# (empty: staff only); it is built at most once per HEALTH_CACHE_S, each check within HEALTH_TIMEOUT_S.
HEALTH_TOKEN = env.str("HEALTH_TOKEN", default="")
HEALTH_CACHE_S = env.int("HEALTH_CACHE_S", default=5)
HEALTH_TIMEOUT_S = env.float("HEALTH_TIMEOUT_S", default=2.0)

# --- e-mail ---
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Storyloom <noreply@storyloom.local>")

INVITATION_TTL_DAYS = 14
# Fold a storyboard's update log into a snapshot once it holds this many updates.
STORYBOARD_COMPACT_EVERY = env.int("STORYBOARD_COMPACT_EVERY", default=1000)
# Where people reach the site; links in e-mails start with it.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# --- generation (generation/presets.py) ---
# Presets' weights live in <GENERATION_MODELS_DIR>/<preset> unless a preset names a path.
GENERATION_MODELS_DIR = env.path("GENERATION_MODELS_DIR", default=VAR_DIR / "models")
# Added or overridden presets by name, as JSON: {"name": {"pipeline": ..., "path": ...}}.
GENERATION_PRESETS: dict[str, dict[str, Any]] = env.json("GENERATION_PRESETS", default={})
# /v1/videos: model names clients of OpenAI's Videos API send, and the presets they get.
VIDEOS_API_MODELS: dict[str, str] = env.json("VIDEOS_API_MODELS", default={
    "sora-2": "tiny-ltx-video", "sora-2-pro": "tiny-wan"})
# What each plan may render (generation/quotas.py); JSON in the environment to change it.
# compute_per_day: megapixel-steps (frames x width x height x steps / 10⁶) a UTC day, images
# included; free's 50,000 is about 26 default LTX-Video clips (768x512, 121 frames, 40 steps) or
# 390 default tiny ones, and three 60 fps 768² clips at 100 steps.
GENERATION_QUOTAS: dict[str, dict[str, Any]] = env.json("GENERATION_QUOTAS", default={
    "free": {"compute_per_day": 50_000, "max_side": 768, "jobs_in_flight": 4, "running": 1,
             "priority_s": 0, "watermark": True},
    "pro": {"compute_per_day": 1_500_000, "max_side": 1920, "jobs_in_flight": 16, "running": 4,
            "priority_s": 120, "watermark": False},
})
# Jobs of one project running at once, whoever asked (generation/scheduler.py).
GENERATION_PROJECT_RUNNING = env.int("GENERATION_PROJECT_RUNNING", default=4)
# A running job whose worker has not shown a sign of life for this long goes back in the queue.
GENERATION_STALE_AFTER_S = env.int("GENERATION_STALE_AFTER_S", default=120)
# A worker keeps the pipelines it loaded up to this many bytes of weights (most recent first).
GENERATION_PIPELINE_CACHE_BYTES = env.int("GENERATION_PIPELINE_CACHE_BYTES", default=16 * 1024**3)
# A render running longer is stopped and fails with a message saying so (its task's soft limit).
GENERATION_JOB_TIME_LIMIT_S = env.int("GENERATION_JOB_TIME_LIMIT_S", default=4 * 3600)

# Webhooks may point at loopback and private addresses (development); never in production.
WEBHOOK_ALLOW_PRIVATE = env.bool("WEBHOOK_ALLOW_PRIVATE", default=False)
# One delivery, from resolving the name to the last byte read, whatever the receiver's pace.
WEBHOOK_DEADLINE_S = env.float("WEBHOOK_DEADLINE_S", default=10.0)
# Bytes read of a failed delivery's answer (an excerpt for the log); the rest is never read.
WEBHOOK_RESPONSE_MAX_BYTES = env.int("WEBHOOK_RESPONSE_MAX_BYTES", default=1024)

# --- chain (rights/chain/client.py) ---
# Any EVM JSON-RPC endpoint (Sepolia, Base...); unset: `make up` runs anvil on ANVIL_PORT, its state
# kept in var/chain/, and deploys the registry there on first run.
CHAIN_RPC_URL = env.str("CHAIN_RPC_URL", default="")
EMBEDDED_CHAIN = not CHAIN_RPC_URL
ANVIL_PORT = env.int("ANVIL_PORT", default=8545)
# Seconds between the embedded anvil's blocks; 0: each transaction is mined as it arrives. A real
# network's block time leaves transactions sent and not yet mined for a while (tests use it).
ANVIL_BLOCK_TIME = env.int("ANVIL_BLOCK_TIME", default=0)
if EMBEDDED_CHAIN:
    CHAIN_RPC_URL = f"http://127.0.0.1:{ANVIL_PORT}"
CHAIN_ID = env.int("CHAIN_ID", default=31337)
# The deployed registry; empty: the one `manage.py chain_setup` deployed (var/chain/registry.json).
REGISTRY_ADDRESS = env.str("REGISTRY_ADDRESS", default="")
# The licensing contract and the stablecoin its offers may be priced in; empty: the ones
# `manage.py chain_setup` deployed beside the registry (var/chain/licensing.json).
LICENSING_ADDRESS = env.str("LICENSING_ADDRESS", default="")
STABLECOIN_ADDRESS = env.str("STABLECOIN_ADDRESS", default="")
STABLECOIN_DECIMALS = env.int("STABLECOIN_DECIMALS", default=6)
# The platform's fee on licence sales (basis points; the contract caps it at 1,000) when
# chain_setup deploys the licensing contract; offers agree to the contract's fee at the time.
LICENSING_FEE_BPS = env.int("LICENSING_FEE_BPS", default=250)
# What chain_setup gives each demo account on the embedded chain: ETH (wei) and stablecoin units.
DEMO_FUNDS_WEI = env.int("DEMO_FUNDS_WEI", default=10**19)
DEMO_FUNDS_STABLECOIN = env.int("DEMO_FUNDS_STABLECOIN", default=1_000 * 10**6)
# A transaction counts once this many blocks include it, and (CHAIN_USE_FINALIZED, real networks)
# once the node's `finalized` block has reached it.
CHAIN_CONFIRMATIONS = env.int("CHAIN_CONFIRMATIONS", default=1)
CHAIN_USE_FINALIZED = env.bool("CHAIN_USE_FINALIZED", default=not EMBEDDED_CHAIN)
CHAIN_MAX_FEE_GWEI = env.float("CHAIN_MAX_FEE_GWEI", default=200.0)  # never pay more per gas
CHAIN_STUCK_AFTER_S = env.int("CHAIN_STUCK_AFTER_S", default=90)  # then replace with a higher fee
# A chain task's soft time limit (a pass of a signer, a batch, the indexer); what is left goes on later.
CHAIN_TASK_TIME_LIMIT_S = env.int("CHAIN_TASK_TIME_LIMIT_S", default=600)
# Reads that a page or a public answer waits on (rights/chain/reads.py): each node request's timeout,
# never retried; a node that failed is taken as down, without asking, for CHAIN_DOWN_MEMO_S.
CHAIN_READ_TIMEOUT_S = env.float("CHAIN_READ_TIMEOUT_S", default=1.5)
CHAIN_DOWN_MEMO_S = env.int("CHAIN_DOWN_MEMO_S", default=20)
# The platform's signing key: CHAIN_PRIVATE_KEY, or an encrypted (scrypt) keystore file and its
# password; with neither, a development key is made into var/chain/ (and funded on anvil).
CHAIN_PRIVATE_KEY = env.str("CHAIN_PRIVATE_KEY", default="")
# Batch mode: at most this many works per Merkle root, and none waits longer than this.
RIGHTS_BATCH_SIZE = env.int("RIGHTS_BATCH_SIZE", default=256)
RIGHTS_BATCH_WAIT_S = env.int("RIGHTS_BATCH_WAIT_S", default=60)
# Chain requests the platform pays gas for, per account, plan and UTC day (rights/allowance.py): a
# registration request (single or batch), a share transfer, a licence grant or revocation.
RIGHTS_CHAIN_TX_PER_DAY: dict[str, int] = env.json("RIGHTS_CHAIN_TX_PER_DAY",
                                                   default={"free": 50, "pro": 1000})
WORK_MAX_BYTES = env.int("WORK_MAX_BYTES", default=200 * 1024 * 1024)  # an upload to register
CHAIN_DIR = Path(env.str("CHAIN_DIR", default=str(VAR_DIR / "chain")))
CHAIN_KEYSTORE = Path(env.str("CHAIN_KEYSTORE", default=str(CHAIN_DIR / "keystore.json")))
CHAIN_KEYSTORE_PASSWORD = env.str("CHAIN_KEYSTORE_PASSWORD", default="")
# scrypt's cost (N) for a keystore the platform generates; None: eth-account's default (seconds to unlock)
CHAIN_KEYSTORE_SCRYPT_N: int | None = None

# --- gallery and feed (recommend/) ---
RECOMMEND_DIR = env.path("RECOMMEND_DIR", default=VAR_DIR / "recommend")  # trained models, by version
# A work is held for a moderator once this many distinct trusted reporters (a verified e-mail and an
# account RECOMMEND_REPORTER_MIN_AGE_DAYS old, or staff) reported it and all reports weigh
# RECOMMEND_HOLD_WEIGHT together (each 0 to 1, by account age and verified e-mail): fresh accounts
# never hide a work on their own; their reports still reach the moderators.
RECOMMEND_HOLD_AFTER_REPORTS = env.int("RECOMMEND_HOLD_AFTER_REPORTS", default=3)
RECOMMEND_REPORTER_MIN_AGE_DAYS = env.int("RECOMMEND_REPORTER_MIN_AGE_DAYS", default=7)
RECOMMEND_HOLD_WEIGHT = env.float("RECOMMEND_HOLD_WEIGHT", default=3.0)
# One viewer's impression, view or share of one work counts once in this window (repeats are
# accepted and dropped): one account cannot push a work up by repeating itself.
RECOMMEND_SIGNAL_WINDOW_S = env.int("RECOMMEND_SIGNAL_WINDOW_S", default=1800)
RECOMMEND_SIGNALS_PER_BATCH = env.int("RECOMMEND_SIGNALS_PER_BATCH", default=100)  # events in one beacon
RECOMMEND_MODELS_KEPT = env.int("RECOMMEND_MODELS_KEPT", default=3)  # older versions are deleted
# A retrain's soft time limit (the model in use stays until a retrain finishes).
RECOMMEND_RETRAIN_TIME_LIMIT_S = env.int("RECOMMEND_RETRAIN_TIME_LIMIT_S", default=1800)
RECOMMEND_CATALOGUE_TTL_S = env.float("RECOMMEND_CATALOGUE_TTL_S", default=30.0)  # then rebuilt in the back

# --- reviews of published works (reviews/) ---
# Reviews and replies one account may post, counted from what it posted (deleted ones too).
REVIEWS_PER_MINUTE = env.int("REVIEWS_PER_MINUTE", default=5)
REVIEWS_PER_DAY = env.int("REVIEWS_PER_DAY", default=200)
# An author may edit a review for this long after posting it.
REVIEWS_EDIT_WINDOW_S = env.int("REVIEWS_EDIT_WINDOW_S", default=86400)

# --- aesthetics (aesthetics/) ---
# LAION's CLIP+MLP aesthetic predictor (aesthetics/predictor.py): <dir>/clip/ (a transformers CLIP
# checkpoint) and <dir>/head.safetensors, by default in the models directory. When both are there,
# its score joins every report made from then on; nothing is ever downloaded. THREADS: the torch
# threads it may use while it runs.
AESTHETIC_PREDICTOR_DIR = env.path("AESTHETIC_PREDICTOR_DIR",
                                   default=Path(GENERATION_MODELS_DIR) / "aesthetic-predictor")
AESTHETIC_PREDICTOR_THREADS = env.int("AESTHETIC_PREDICTOR_THREADS", default=2)
# A report's standing reads the gallery's measures once per process; after the gallery changes, again
# at most this often (aesthetics.selectors.standing).
AESTHETICS_STANDING_REFRESH_S = env.float("AESTHETICS_STANDING_REFRESH_S", default=30.0)

# --- provenance: C2PA Content Credentials (generation/provenance.py) ---
# A development CA and signing certificate are generated here on first use...
C2PA_DIR = env.path("C2PA_DIR", default=VAR_DIR / "c2pa")
# ...unless a real certificate chain and its private key (PEM paths) are set.
C2PA_SIGN_CERT = env.str("C2PA_SIGN_CERT", default="")
C2PA_SIGN_KEY = env.str("C2PA_SIGN_KEY", default="")
# The roots (PEM path) a manifest's signer must chain to; empty: the development CA.
C2PA_TRUST_ANCHORS = env.str("C2PA_TRUST_ANCHORS", default="")

# JSON lines in production (LOG_FORMAT=json), text at a terminal; every line with its request id.
LOGGING = logging_config(fmt=env.str("LOG_FORMAT", default="plain"),
                         level=env.str("LOG_LEVEL", default="INFO"))

Path(VAR_DIR).mkdir(parents=True, exist_ok=True)
