"""The daily allowance of chain transactions the platform pays for on an account's behalf.

Per plan (RIGHTS_CHAIN_TX_PER_DAY) and UTC day, counted where the account asks, inside the same
transaction as what it asks for: past the allowance, QuotaExceeded (429, `chain_allowance`) rolls
the request back whole, so nothing is queued or half-written. What counts, once each:

- a registration request (`work_submit`), single or batch: a batch shares one anchor transaction,
  but each request is what a person sees and what a flood would be made of. It is counted to the
  person who asks, when they ask; co-owners' confirmations and reviewers' approvals that release
  it later are not counted again;
- a share transfer, a licence grant, and the request that revokes a licence (a vote that does not
  yet reach a majority sends nothing and is not counted).

The gas payments custodial keys need (`fund`) follow the call that needed them and are not
counted apart.
"""


from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.plans import Plan
from accounts.services import user_lock
from generation.extensions import Allowance, day_start
from kernel.errors import QuotaExceeded
from rights.models import ChainAllowanceUse, ChainRequest

if TYPE_CHECKING:
    from accounts.models import User

HELP = gettext_lazy(
    "Registrations (each request, also in a batch), share transfers, licence grants and revocations "
    "that the platform signs and pays gas for on your behalf.")


def chain_allowance_limit(user: User) -> int:
    return int(settings.RIGHTS_CHAIN_TX_PER_DAY[user.plan])


def chain_allowance_used(user: User) -> int:
    """The account's chain requests today (UTC)."""
    return ChainAllowanceUse.objects.filter(user=user, created_at__gte=day_start()).count()


def chain_allowance_use(*, user: User, key: str, kind: ChainRequest) -> None:
    """Count one request (`key`: the same thing asked for again counts once), or refuse it when
    the day's allowance is spent. Call inside the transaction that queues it."""
    user_lock(user)  # one request at a time per account
    if ChainAllowanceUse.objects.filter(key=key).exists():
        return
    limit = chain_allowance_limit(user)
    if chain_allowance_used(user) >= limit:
        resets = day_start() + timedelta(days=1)
        raise QuotaExceeded(
            _("Your %(plan)s plan sends %(limit)s chain transactions a day (registrations, transfers, "
              "licences), and today's are used; nothing was queued. The allowance starts again at "
              "%(resets)s.") % {"plan": Plan(user.plan).label, "limit": limit,
                                "resets": resets.strftime("%Y-%m-%d %H:%M UTC")},
            code="chain_allowance")
    ChainAllowanceUse.objects.create(user=user, key=key, kind=kind)


def chain_allowance_usage(user: User) -> Allowance:
    """For the Usage page and the usage API (registered in RightsConfig.ready)."""
    return Allowance(name="chain_transactions", label=str(_("Chain transactions today")),
                     used=chain_allowance_used(user), limit=chain_allowance_limit(user), help=str(HELP))
