"""This process's synchronous Redis client, for the platform's own keys and messages (handshake
counts, storyboard announcements from synchronous code). One per process: its pool hands each
thread a connection and keeps them for reuse."""

from functools import cache

import redis
from django.conf import settings

from kernel.redis_urls import for_redis_py


@cache
def redis_client() -> redis.Redis:
    return redis.Redis.from_url(for_redis_py(settings.REDIS_URL))
