"""Small helpers shared by the API views."""

from typing import Any

from rest_framework import serializers
from rest_framework.request import Request


def validated(serializer_class: type[serializers.Serializer], request: Request,
              **kwargs: Any) -> dict[str, Any]:
    """Validate request data with an input serializer; errors become the one error format."""
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
