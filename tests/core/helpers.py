"""Assertions and clients shared by the API tests."""

from typing import Any

from rest_framework.test import APIClient


def assert_error(response: Any, status: int, code: str, *, fields: set[str] | None = None) -> dict:
    """The response has `status` and the one error format with `code` (and exactly `fields`)."""
    assert response.status_code == status, (response.status_code, getattr(response, "data", None))
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}, error
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"], error
    assert isinstance(error["fields"], dict)
    if fields is not None:
        assert set(error["fields"]) == fields, error
        for name, messages in error["fields"].items():
            assert messages and all(isinstance(m, str) and m for m in messages), (name, messages)
    return error


def client_for(user: Any) -> APIClient:
    """An API client logged in (by session) as `user`."""
    api = APIClient()
    api.force_login(user)
    return api


MONITOR_TOKEN = "monitor-" + "t" * 32  # what a monitor sends to /healthz and /metrics in tests
