import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.test import APIClient

from kernel.api.errors import exception_handler
from kernel.errors import Conflict, NotFound, PermissionDenied, ServiceError, ValidationFailed
from tests.accounts.factories import UserFactory
from tests.core.helpers import assert_error


@pytest.mark.parametrize(("error_class", "status", "code"), [
    (ValidationFailed, 400, "invalid"),
    (PermissionDenied, 403, "permission_denied"),
    (NotFound, 404, "not_found"),
    (Conflict, 409, "conflict"),
])
def test_service_errors_become_the_error_format(error_class: type[ServiceError], status: int,
                                                code: str) -> None:
    response = exception_handler(error_class("Nope.", fields={"name": ["Too long."]}), {})
    assert response is not None
    assert response.status_code == status
    assert response.data == {"error": {"code": code, "message": "Nope.",
                                       "fields": {"name": ["Too long."]}}}


def test_a_service_error_may_carry_a_specific_code() -> None:
    error = Conflict("Last owner.", code="last_owner")
    assert error.as_dict() == {"code": "last_owner", "message": "Last owner.", "fields": {}}
    assert Conflict("x").code == "conflict"  # the class default is untouched
    assert exception_handler(error, {}).status_code == 409


def test_nested_validation_errors_are_flattened_to_dotted_paths() -> None:
    detail = {"name": ["Required."], "members": [{"role": ["Bad role."]}, {}],
              "meta": {"tags": ["Too many."]}}
    response = exception_handler(exceptions.ValidationError(detail), {})
    error = response.data["error"]
    assert response.status_code == 400
    assert error["code"] == "invalid"
    assert error["fields"] == {"name": ["Required."], "members.0.role": ["Bad role."],
                               "meta.tags": ["Too many."]}
    assert error["message"] == "Some fields are invalid: members.0.role, meta.tags, name."


def test_a_bare_validation_error_is_a_non_field_error() -> None:
    error = exception_handler(exceptions.ValidationError("Broken."), {}).data["error"]
    assert error["fields"] == {"non_field_errors": ["Broken."]}


def test_django_errors_are_translated() -> None:
    response = exception_handler(DjangoValidationError({"email": ["Taken."]}), {})
    assert response.status_code == 400
    assert response.data["error"]["fields"] == {"email": ["Taken."]}
    response = exception_handler(DjangoValidationError("Plain."), {})
    assert response.data["error"]["fields"] == {"non_field_errors": ["Plain."]}
    response = exception_handler(Http404(), {})
    assert (response.status_code, response.data["error"]["code"]) == (404, "not_found")
    response = exception_handler(DjangoPermissionDenied(), {})
    assert (response.status_code, response.data["error"]["code"]) == (403, "permission_denied")


def test_unexpected_exceptions_are_left_to_django() -> None:
    assert exception_handler(ValueError("a bug"), {}) is None


@pytest.mark.django_db
def test_protocol_errors_use_the_error_format() -> None:
    api = APIClient()
    api.force_login(UserFactory())
    response = api.post("/api/v1/tokens", data="{not json", content_type="application/json")
    assert_error(response, 400, "parse_error", fields=set())
    assert_error(api.put("/api/v1/profile", {}, format="json"), 405, "method_not_allowed")
    response = api.post("/api/v1/tokens", data="name=x", content_type="text/plain")
    assert_error(response, 415, "unsupported_media_type")


@pytest.mark.django_db
def test_unknown_api_paths_answer_in_the_error_format(client):
    response = client.get("/api/v1/no-such-endpoint")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert "/api/v1/no-such-endpoint" in response.json()["error"]["message"]


@pytest.mark.django_db
def test_unknown_pages_are_html(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_a_wrong_choice_names_what_is_allowed():
    client = APIClient()
    client.force_authenticate(UserFactory())
    response = client.patch("/api/v1/profile", {"preferred_language": "fr"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["preferred_language"] == [
        "“fr” is not allowed. Allowed: en, zh-hans."]
