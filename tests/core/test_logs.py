"""Structured logs: each line carries the request id of what it belongs to, from the HTTP request
into the Celery messages it publishes; ids sent by clients cannot forge a log line."""

import json
import logging
import os
import re

import pytest
from celery import current_app
from django.test import Client

from kernel import logs

pytestmark = pytest.mark.django_db


def test_a_request_logs_under_the_load_balancers_id_and_answers_it(json_lines):
    response = Client().get("/api/v1/no-such-thing", HTTP_X_REQUEST_ID="lb-7f3a9c21")
    assert response.status_code == 404
    assert response["X-Request-ID"] == "lb-7f3a9c21"
    not_found = [r for r in json_lines.records() if r["logger"] == "django.request"]
    assert not_found and {r["request_id"] for r in not_found} == {"lb-7f3a9c21"}
    assert not_found[0]["level"] == "warning" and "timestamp" in not_found[0]
    assert logs.request_id() is None  # nothing is left bound after the request


@pytest.mark.parametrize("sent", ['x"}\n{"event": "forged', "short", "a" * 65, "two words here",
                                  "<script>alert(1)</script>"])
def test_an_id_that_could_forge_a_line_is_replaced_by_a_new_one(sent, json_lines):
    response = Client().get("/api/v1/no-such-thing", HTTP_X_REQUEST_ID=sent)
    answered = response["X-Request-ID"]
    assert answered != sent and re.fullmatch(r"[0-9a-f]{32}", answered)
    lines = json_lines.getvalue().splitlines()
    assert all(json.loads(line).get("event") != "forged" for line in lines)
    assert {r["request_id"] for r in json_lines.records() if r["logger"] == "django.request"} == {answered}


def test_without_an_id_each_request_gets_its_own():
    first, second = Client().get("/livez"), Client().get("/livez")
    assert re.fullmatch(r"[0-9a-f]{32}", first["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_a_task_published_under_a_request_carries_its_id_through_the_broker():
    queue = f"test-logs-{os.getpid()}"
    with current_app.connection_for_write() as connection:
        with logs.request_id_bound("req-0123456789"):
            current_app.send_task("core.tasks.demo_gallery_step", queue=queue, connection=connection)
        current_app.send_task("core.tasks.demo_gallery_step", queue=queue, connection=connection)
        inbox = connection.SimpleQueue(queue)
        try:
            carried, plain = inbox.get(timeout=10), inbox.get(timeout=10)
        finally:
            inbox.queue.delete()
            inbox.close()
    assert carried.headers["request_id"] == "req-0123456789"
    assert "request_id" not in plain.headers


def test_a_worker_logs_a_task_under_the_id_its_message_carries(json_lines):
    class Task:
        class request:
            request_id = "req-0123456789"

    class Forged:
        class request:
            request_id = "bad id\nforged"

    from core import celery  # the signals' receivers

    celery._bind_the_request_id(task=Task)
    logging.getLogger("generation.execution").info("rendering")
    celery._unbind_the_request_id()
    celery._bind_the_request_id(task=Forged)
    logging.getLogger("generation.execution").info("rendering")
    celery._unbind_the_request_id()
    assert [r.get("request_id") for r in json_lines.records()] == ["req-0123456789", None]
