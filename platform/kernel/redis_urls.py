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


def for_channel_layer(url: str) -> dict[str, object]:
    """A channels-redis host. Its receive blocks up to 5 s in BZPOPMIN, and redis-py 8 gives
    every read a 5 s socket timeout by default: the two race, and a lost race kills the
    consumer (a TimeoutError inside its receive loop). Reads get a longer timeout here.
    Every open websocket holds a connection in its blocking receive, so the pool must be
    larger than redis-py's default cap of 100."""
    return {"address": for_redis_py(url), "socket_timeout": 30, "max_connections": 5000}


def for_celery(url: str) -> str:
    if is_socket(url):
        return f"redis+socket://{socket_path(url)}"
    return url
