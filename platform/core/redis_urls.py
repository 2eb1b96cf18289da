"""One REDIS_URL, spelled the way each client wants it.

`unix:///path.sock` (embedded Valkey) or `redis://host:port/db` (production).
channels-redis and redis-py take both spellings; Celery's kombu wants
`redis+socket://` for a unix socket.
"""

from urllib.parse import urlsplit


def is_socket(url: str) -> bool:
    return urlsplit(url).scheme in ("unix", "redis+socket")


def socket_path(url: str) -> str:
    return urlsplit(url).path


def for_redis_py(url: str) -> str:
    if is_socket(url):
        return f"unix://{socket_path(url)}"
    return url


def for_celery(url: str) -> str:
    if is_socket(url):
        return f"redis+socket://{socket_path(url)}"
    return url
