"""GET/POST /api/v1/verify: public verification, no login needed (throttled per client, uploads
capped at VERIFY_MAX_BYTES before they are read)."""


from django.http import HttpRequest
from drf_spectacular.utils import extend_schema
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle
from rest_framework.views import APIView

from accounts.scopes import TokenScopePermission
from kernel.api.parsers import BoundedJSONParser
from kernel.api.throttles import AddressRateThrottle, throttle_wait
from kernel.api.views import validated
from kernel.uploads import upload_limit
from rights.api.verify_serializers import VerificationSerializer, VerifyInput, VerifyQueryInput
from rights.verify.lookup import verify

_DESCRIPTION = ("The exact match and similar registered works, each with its on-chain record read live "
                "(owners and shares, block time, transaction, contract, and whether the owners hash to "
                "the contract's stateOf), licence, C2PA validity of our generated media and remix "
                "lineage, and its published licence offers. `live` is false, with `chain_error`, when the "
                "node could not be read: what follows is then what Storyloom's database records, not "
                "verified on chain. With `holder`, `holder` in the answer says whether that address holds a "
                "licence of the work (of `licence` when given), read live from the licensing contract, or "
                "that it could not be checked; `licence` alone verifies the work that licence is of.")


class VerifyThrottle(AddressRateThrottle):
    """Verifications per client address, signed in or not, on the page and the API counted
    together: each one fingerprints a file or reads the chain, and needs no account. The rate is
    DEFAULT_THROTTLE_RATES["verify"] (THROTTLE_VERIFY)."""


def verify_wait(request: HttpRequest) -> int | None:
    """Count one verification on the page: None when it may go on; else the seconds to wait."""
    return throttle_wait(VerifyThrottle(), request, "verify")


@upload_limit("VERIFY_MAX_BYTES")
class VerifyView(APIView):
    permission_classes = [AllowAny, TokenScopePermission]
    token_scope = "read"  # a POST here only reads
    throttle_classes = [AnonRateThrottle, UserRateThrottle, VerifyThrottle]
    throttle_scope = "verify"
    parser_classes = [MultiPartParser, FormParser, BoundedJSONParser]

    @extend_schema(parameters=[VerifyQueryInput], responses=VerificationSerializer,
                   description="Verify an identifier, or a licence token. " + _DESCRIPTION)
    def get(self, request: Request) -> Response:
        serializer = VerifyQueryInput(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        return Response(VerificationSerializer(verify(query=data["query"], holder=data["holder"],
                                                      licence=data["licence"])).data)

    @extend_schema(request={"multipart/form-data": VerifyInput, "application/json": VerifyInput},
                   responses=VerificationSerializer,
                   description="Verify an uploaded file (type sniffed, size capped) or an identifier. "
                               + _DESCRIPTION)
    def post(self, request: Request) -> Response:
        data = validated(VerifyInput, request)
        return Response(VerificationSerializer(verify(query=data.get("query") or "", upload=data.get("file"),
                                                      holder=data["holder"], licence=data["licence"])).data)
