"""OpenAPI additions drf-spectacular cannot infer: the one error shape every operation answers with."""

from typing import Any

ERROR_COMPONENT = "Error"

# kernel.api.errors.error_body, as JSON Schema.
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every refusal and failure: a code clients can branch on, a message for people "
                   "and, for invalid input, the messages per field (dotted paths for nested ones).",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "example": "invalid"},
                "message": {"type": "string"},
                "fields": {"type": "object",
                           "additionalProperties": {"type": "array", "items": {"type": "string"}}},
            },
            "required": ["code", "message", "fields"],
        },
    },
    "required": ["error"],
}

HTTP_METHODS = {"get", "put", "post", "patch", "delete", "head", "options", "trace"}


def error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: every operation documents its other answers (400, 401,
    403, 404, 409, 413, 429...) as the error shape, unless it documents a `default` of its own."""
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = ERROR_SCHEMA
    reference = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method in HTTP_METHODS:
                operation.setdefault("responses", {}).setdefault("default", {
                    "description": "An error, in the API's error shape.",
                    "content": {"application/json": {"schema": reference}}})
    return result
