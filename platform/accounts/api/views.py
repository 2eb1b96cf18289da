from django.contrib.auth import update_session_auth_hash
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.api import schema  # noqa: F401  (registers the bearer scheme with the OpenAPI schema)
from accounts.api.serializers import (
    PasswordChangeInput,
    ProfileSerializer,
    ProfileUpdateInput,
    SignupInput,
    TokenCreatedSerializer,
    TokenCreateInput,
    TokenSerializer,
    WalletChallengeInput,
    WalletChallengeSerializer,
    WalletLinkInput,
    WalletSerializer,
)
from accounts.models import ApiToken
from accounts.selectors import current_user
from accounts.throttles import AccountRateThrottle, UserRateThrottle
from kernel.api.parsers import BoundedJSONParser
from kernel.api.views import validated
from kernel.errors import NotFound
from kernel.uploads import upload_limit


class SignupView(APIView):
    permission_classes = [AllowAny]
    throttle_scope = "signup"  # per client address, with the sign-up page (THROTTLE_SIGNUP)

    def get_throttles(self) -> list[BaseThrottle]:
        return [*super().get_throttles(), AccountRateThrottle()]

    @extend_schema(request=SignupInput, responses={201: ProfileSerializer}, auth=[],
                   description="Sign-ups are limited per client address (429 `throttled`).")
    def post(self, request: Request) -> Response:
        user = services.user_signup(**validated(SignupInput, request))
        return Response(ProfileSerializer(user).data, status=status.HTTP_201_CREATED)


@upload_limit("AVATAR_MAX_BYTES")  # read no more of an upload than this (kernel.uploads)
class ProfileView(APIView):
    parser_classes = [BoundedJSONParser, MultiPartParser, FormParser]

    @extend_schema(responses=ProfileSerializer)
    def get(self, request: Request) -> Response:
        return Response(ProfileSerializer(request.user, context={"request": request}).data)

    @extend_schema(request=ProfileUpdateInput, responses=ProfileSerializer)
    def patch(self, request: Request) -> Response:
        data = validated(ProfileUpdateInput, request, partial=True)
        user = services.profile_update(user=current_user(request), **data)
        return Response(ProfileSerializer(user, context={"request": request}).data)


class EmailVerifyResendView(APIView):
    @extend_schema(request=None, responses={202: None},
                   description="Mail the verification link to your address again (3 times an hour).")
    def post(self, request: Request) -> Response:
        services.email_verification_resend(user=current_user(request))
        return Response(status=status.HTTP_202_ACCEPTED)


class PasswordChangeView(APIView):
    @extend_schema(request=PasswordChangeInput, responses={204: None},
                   description="Other sessions are signed out; this one stays. With revoke_tokens, "
                               "every API token stops working too.")
    def post(self, request: Request) -> Response:
        user = current_user(request)
        services.password_change(user=user, **validated(PasswordChangeInput, request))
        if isinstance(request.successful_authenticator, SessionAuthentication):
            update_session_auth_hash(request._request, user)  # stay signed in in this session
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenListView(generics.ListAPIView):
    serializer_class = TokenSerializer
    token_scope = "tokens"  # an API token needs this scope to create tokens

    def get_queryset(self) -> QuerySet[ApiToken]:
        return selectors.token_list(user=current_user(self.request))

    @extend_schema(request=TokenCreateInput, responses={201: TokenCreatedSerializer})
    def post(self, request: Request) -> Response:
        token, raw = services.token_create(user=current_user(request), **validated(TokenCreateInput, request))
        data = TokenCreatedSerializer(token).data
        data["token"] = raw
        return Response(data, status=status.HTTP_201_CREATED)


class TokenDetailView(APIView):
    token_scope = "tokens"
    @extend_schema(responses={204: None}, description="Revoke the token; it stops working at once.")
    def delete(self, request: Request, token_id: int) -> Response:
        services.token_revoke(user=current_user(request), token_id=token_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- a wallet of one's own (Sign-In with Ethereum, EIP-4361) --------------------------------


class WalletChallengeView(APIView):
    token_scope = "rights"  # an API token needs this scope: the wallet decides where payouts go
    throttle_scope = "wallet_challenge"  # per account (THROTTLE_WALLET_CHALLENGE)

    def get_throttles(self) -> list[BaseThrottle]:
        return [*super().get_throttles(), UserRateThrottle()]

    @extend_schema(request=WalletChallengeInput, responses={201: WalletChallengeSerializer},
                   description="The message that links this address to your account once its wallet "
                               "signs it (EIP-4361, EIP-191 personal_sign): it names this site, your "
                               "account, the chain and a fresh nonce, and is accepted once, from you, "
                               "unchanged, within minutes (POST /api/v1/profile/wallet). Limited per "
                               "account (429 `throttled`).")
    def post(self, request: Request) -> Response:
        data = validated(WalletChallengeInput, request)
        challenge = services.wallet_challenge(
            user=current_user(request), address=data["address"], domain=request.get_host(),
            uri=request.build_absolute_uri(reverse("accounts:profile")))
        return Response(WalletChallengeSerializer(challenge).data, status=status.HTTP_201_CREATED)


class WalletView(APIView):
    token_scope = "rights"

    @extend_schema(responses={200: WalletSerializer},
                   description="The wallet you linked; 404 when none is: payouts and licences go to "
                               "the custodial address the platform holds for you.")
    def get(self, request: Request) -> Response:
        wallet = selectors.wallet_get(user=current_user(request))
        if wallet is None:
            raise NotFound(_("No wallet is linked to your account."), code="no_wallet")
        return Response(WalletSerializer(wallet).data)

    @extend_schema(request=WalletLinkInput, responses={200: WalletSerializer},
                   description="Link the wallet that signed the challenge's message, in place of any "
                               "linked before. Refused (400) when the message is not the one issued to "
                               "you, was used, expired or was changed, or another key signed it; 409 "
                               "`wallet_taken` when another account linked this wallet. Contract "
                               "wallets (ERC-1271) cannot be linked.")
    def post(self, request: Request) -> Response:
        wallet = services.wallet_link(user=current_user(request), **validated(WalletLinkInput, request))
        return Response(WalletSerializer(wallet).data)

    @extend_schema(responses={204: None},
                   description="Unlink your wallet: payouts and licences go to the custodial address "
                               "again. 404 when none is linked.")
    def delete(self, request: Request) -> Response:
        if services.wallet_unlink(user=current_user(request)) is None:
            raise NotFound(_("No wallet is linked to your account."), code="no_wallet")
        return Response(status=status.HTTP_204_NO_CONTENT)
