"""A web process on PostgreSQL holds a bounded number of connections however many requests come
at once. Django runs each request's sync code in a thread of its own under ASGI, and a persistent
connection per thread piled up: the cluster under load reached PostgreSQL's 100 connections and
answered 500 (benchmarks/cluster_load.py). Web processes now take their connections from a pool."""

import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from tests.servers import AsgiServer

pytestmark = pytest.mark.django_db(transaction=True)
POOL = 4


def _backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND pid <> pg_backend_pid()")
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a pool of PostgreSQL connections")
def test_a_web_process_holds_no_more_connections_than_its_pool():
    before = _backends()
    server = AsgiServer.start(DB_POOL_MAX_SIZE=str(POOL))
    try:
        def tags(_: int) -> int:
            with urllib.request.urlopen(f"{server.url}/api/v1/gallery/tags", timeout=30) as response:
                json.loads(response.read())
                return response.status

        with ThreadPoolExecutor(16) as pool:
            for _ in range(3):  # waves of requests at once, each in a thread of the server's own
                assert set(pool.map(tags, range(16))) == {200}
                assert _backends() - before <= POOL
    finally:
        server.stop()
