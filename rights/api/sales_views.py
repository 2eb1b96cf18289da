"""The API of licences for sale (rights.services.sales decides; rights.selectors reads)."""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import current_user
from kernel.api.views import validated
from kernel.errors import NotFound
from rights import services
from rights.api.sales_serializers import (
    OFFER_ID_PATTERN,
    EarningsSerializer,
    OfferInput,
    OfferSerializer,
    PurchaseSerializer,
    WithdrawalSerializer,
    WithdrawInput,
    earnings_data,
)
from rights.keys import user_address
from rights.models import Work
from rights.selectors import earnings_of, licences_of, offer_get, work_offers

OFFER_ID = OpenApiParameter("offer_id", str, OpenApiParameter.PATH, pattern=OFFER_ID_PATTERN,
                            description="The offer's id (its licence token's id), 0x and 64 hex digits.")


def _registered_work(work_id: str) -> Work:
    work = Work.objects.filter(public_id=work_id).first()
    if work is None or work.status != "registered":
        raise NotFound("No such work.")
    return work


class WorkOffersView(APIView):
    token_scope = "rights"

    def get_permissions(self) -> list[Any]:  # reading is public; writing as every other API view
        return [AllowAny()] if self.request.method == "GET" else list(super().get_permissions())

    @extend_schema(responses=OfferSerializer(many=True),
                   description="A registered work's licence offers: those published, to anyone; to its "
                               "owners also those waiting for approval.")
    def get(self, request: Request, work_id: str) -> Response:
        offers = work_offers(work=_registered_work(work_id), user=request.user)
        return Response(OfferSerializer(offers, many=True).data)

    @extend_schema(request=OfferInput, responses={201: OfferSerializer},
                   description="As an owner, propose a licence for sale; it counts as your approval, and "
                               "it is published once owners holding more than half of the shares approve "
                               "it.")
    def post(self, request: Request, work_id: str) -> Response:
        offer = services.offer_propose(work_id=work_id, user=current_user(request),
                                       **validated(OfferInput, request))
        return Response(OfferSerializer(offer).data, status=status.HTTP_201_CREATED)


class OfferDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(parameters=[OFFER_ID], responses=OfferSerializer)
    def get(self, request: Request, offer_id: str) -> Response:
        return Response(OfferSerializer(offer_get(offer_id=offer_id, user=request.user)).data)


class OfferApproveView(APIView):
    token_scope = "rights"

    @extend_schema(parameters=[OFFER_ID], request=None, responses=OfferSerializer,
                   description="As an owner, approve an offer (the platform signs with your custodial "
                               "key).")
    def post(self, request: Request, offer_id: str) -> Response:
        offer = services.offer_approve(offer_id=offer_id, user=current_user(request))
        return Response(OfferSerializer(offer).data)


class OfferCloseView(APIView):
    token_scope = "rights"

    @extend_schema(parameters=[OFFER_ID], request=None, responses=OfferSerializer,
                   description="As an owner, ask to close an offer; it closes once owners holding more "
                               "than half of the shares asked. Licences sold stay valid.")
    def post(self, request: Request, offer_id: str) -> Response:
        offer = services.offer_close(offer_id=offer_id, user=current_user(request))
        return Response(OfferSerializer(offer).data)


class OfferPurchaseView(APIView):
    token_scope = "rights"

    @extend_schema(parameters=[OFFER_ID], request=None, responses={201: PurchaseSerializer},
                   description="Buy one licence of an offer on sale, paid from your account's address "
                               "(never refundable). The licence goes to your linked wallet, or to that "
                               "address. Asking again while a purchase of it is paying returns that "
                               "purchase.")
    def post(self, request: Request, offer_id: str) -> Response:
        purchase = services.licence_buy(offer_id=offer_id, user=current_user(request))
        return Response(PurchaseSerializer(purchase).data, status=status.HTTP_201_CREATED)


class LicenceListView(APIView):
    @extend_schema(responses=PurchaseSerializer(many=True),
                   description="The licences you bought or hold at one of your addresses, newest first.")
    def get(self, request: Request) -> Response:
        purchases = licences_of(user=current_user(request)).order_by("-created_at", "-id")[:500]
        return Response(PurchaseSerializer(purchases, many=True).data)


class EarningsView(APIView):
    @extend_schema(responses=EarningsSerializer,
                   description="What licence sales credited your account's address, per currency and per "
                               "work and co-owner, and your latest payments (as the chain's events record "
                               "them).")
    def get(self, request: Request) -> Response:
        user = current_user(request)
        return Response(EarningsSerializer(earnings_data(user_address(user.pk), earnings_of(user=user))).data)


class WithdrawalView(APIView):
    token_scope = "rights"

    @extend_schema(request=WithdrawInput, responses={202: WithdrawalSerializer},
                   description="Withdraw everything owed in a currency to your linked wallet, or your "
                               "account's address. One at a time per currency: asking again returns the "
                               "one in flight.")
    def post(self, request: Request) -> Response:
        tx = services.earnings_withdraw(user=current_user(request), **validated(WithdrawInput, request))
        return Response(WithdrawalSerializer(tx).data, status=status.HTTP_202_ACCEPTED)
