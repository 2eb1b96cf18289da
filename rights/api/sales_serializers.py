"""The API's shapes of licences for sale: offers, purchases (licences held) and earnings."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from kernel.api.fields import ChoiceField
from rights.licences import LicenceKind
from rights.models import Currency, Offer, Purchase
from rights.money import amount_display, currency_of
from rights.selectors import Balance, Earnings

OFFER_ID_PATTERN = r"^0x[0-9a-f]{64}$"


class OfferInput(serializers.Serializer):
    title = serializers.CharField(max_length=120)
    licence = ChoiceField(choices=LicenceKind.choices)
    custom_terms = serializers.CharField(
        max_length=10_000, required=False, allow_blank=True, default="",
        help_text="What the buyer may do beyond the licence (needed for custom terms and all rights "
                  "reserved).")
    commercial = serializers.BooleanField(default=False)
    remix_allowed = serializers.BooleanField(default=False)
    upstream_bps = serializers.IntegerField(
        min_value=0, max_value=10_000, default=0,
        help_text="Of each licence sale of a remix made under this licence, paid to this work's owners "
                  "(basis points).")
    territory = serializers.CharField(max_length=120, default="Worldwide")
    duration_days = serializers.IntegerField(min_value=1, max_value=36_500, required=False, allow_null=True,
                                             default=None, help_text="None: perpetual.")
    currency = ChoiceField(choices=Currency.choices, default=Currency.NATIVE)
    price = serializers.RegexField(
        r"^[0-9]{1,30}(\.[0-9]{1,18})?$", max_length=50,
        help_text="In ETH, or in US dollars for the stablecoin (a decimal string).")
    max_quantity = serializers.IntegerField(min_value=0, max_value=1_000_000, default=0,
                                            help_text="The edition size; 0: unlimited.")


class ApprovalSerializer(serializers.Serializer):
    kind = serializers.CharField()
    address = serializers.CharField()


class OfferSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="offer_id",
                               help_text="The offer's id: its licence token's id on chain.")
    work = serializers.CharField(source="work.public_id")
    price = serializers.CharField(help_text="In the currency's smallest unit (wei, or the stablecoin's).")
    price_display = serializers.SerializerMethodField()
    approvals = ApprovalSerializer(many=True)

    class Meta:
        model = Offer
        fields = ["id", "work", "title", "licence", "terms", "terms_sha256", "commercial", "remix_allowed",
                  "upstream_bps", "territory", "duration_days", "currency", "token", "price", "price_display",
                  "max_quantity", "sold", "fee_bps", "status", "error", "approvals", "created_at",
                  "published_at"]

    def get_price_display(self, offer: Offer) -> str:
        return amount_display(offer.price, offer.currency)


class PurchaseSerializer(serializers.ModelSerializer):
    offer = serializers.CharField(source="offer.offer_id")
    work = serializers.CharField(source="offer.work.public_id")
    title = serializers.CharField(source="offer.title")
    price = serializers.CharField()
    price_display = serializers.SerializerMethodField()

    class Meta:
        model = Purchase
        fields = ["id", "offer", "work", "title", "licensee", "payer", "price", "price_display", "serial",
                  "status", "error", "tx_hash", "block_number", "created_at"]

    def get_price_display(self, purchase: Purchase) -> str:
        return amount_display(purchase.price, purchase.offer.currency)


class BalanceSerializer(serializers.Serializer):
    currency = serializers.CharField()
    earned = serializers.CharField()
    withdrawn = serializers.CharField()
    withdrawable = serializers.CharField()
    withdrawable_display = serializers.CharField()


class WorkEarningsSerializer(serializers.Serializer):
    work = serializers.CharField()
    title = serializers.CharField()
    by_owner = serializers.DictField(child=serializers.DictField(child=serializers.CharField()),
                                     help_text="Payee address → currency → earned (smallest unit).")


class PaymentSerializer(serializers.Serializer):
    kind = serializers.CharField()
    currency = serializers.CharField()
    amount = serializers.CharField()
    work = serializers.CharField(allow_null=True)
    offer = serializers.CharField()
    to = serializers.CharField()
    tx_hash = serializers.CharField()
    block_number = serializers.IntegerField()


class EarningsSerializer(serializers.Serializer):
    address = serializers.CharField()
    balances = BalanceSerializer(many=True)
    works = WorkEarningsSerializer(many=True)
    history = PaymentSerializer(many=True)


def earnings_data(address: str, found: Earnings) -> dict[str, Any]:
    def balance(currency: str, b: Balance) -> dict[str, Any]:
        return {"currency": currency, "earned": str(b.earned), "withdrawn": str(b.withdrawn),
                "withdrawable": str(b.withdrawable),
                "withdrawable_display": amount_display(b.withdrawable, currency)}

    return {
        "address": address,
        "balances": [balance(currency, b) for currency, b in found.balances.items()],
        "works": [{"work": w.work.public_id, "title": w.work.title,
                   "by_owner": {address: {c: str(v) for c, v in amounts.items()}
                                for address, amounts in w.by_owner.items()}}
                  for w in found.works],
        "history": [{"kind": p.kind, "currency": currency_of(p.token), "amount": str(int(p.amount)),
                     "work": p.work.public_id if p.work else None, "offer": p.offer_id, "to": p.to,
                     "tx_hash": p.tx_hash, "block_number": p.block_number} for p in found.history],
    }


class WithdrawInput(serializers.Serializer):
    currency = ChoiceField(choices=Currency.choices)


class WithdrawalSerializer(serializers.Serializer):
    currency = serializers.CharField(source="meta.currency")
    amount = serializers.CharField(source="meta.amount")
    status = serializers.CharField()
    tx_hash = serializers.CharField()
    error = serializers.CharField()
