"""OpenAPI description of the bearer tokens, so clients and fuzzers know how to authenticate."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: object) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "slm_<prefix>_<secret>",
            "description": "An API token created on the profile (POST /api/v1/tokens).",
        }
