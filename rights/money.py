"""Amounts of the licensing contract's currencies: the chain's own (ETH, 18 decimals) and the
stablecoin (STABLECOIN_DECIMALS), kept in their smallest unit and shown to people."""

from decimal import Decimal

from django.conf import settings

from rights.chain.licensing import NATIVE
from rights.models import Currency


def decimals(currency: str) -> int:
    return 18 if currency == Currency.NATIVE else int(settings.STABLECOIN_DECIMALS)


def currency_of(token: str) -> str:
    return Currency.NATIVE if token.lower() == NATIVE else Currency.STABLECOIN


def symbol(currency: str) -> str:
    return "ETH" if currency == Currency.NATIVE else "tUSD"


def amount_display(units: int | Decimal, currency: str) -> str:
    """An amount in a currency's smallest unit, for people: "0.05 ETH", "12.50 tUSD"."""
    value = Decimal(int(units)).scaleb(-decimals(currency))
    if currency == Currency.STABLECOIN and value == value.quantize(Decimal("0.01")):
        text = f"{value:.2f}"
    else:
        text = f"{value:f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
    return f"{text} {symbol(currency)}"
