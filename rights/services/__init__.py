"""Writes for rights: what people and the platform do to works. Every page, API view and task of
rights, and every app above it, writes through here.

- works: drafts from a render or an upload, owners and shares, confirmations, submission, reviews
  of look-alikes (rights.services.works);
- onchain: what goes on the chain, as outbox rows the signer sends (registrations, batch anchors,
  transfers, licences), and the prints of published renders (rights.services.onchain);
- batches: works registered together under one Merkle root (rights.services.batches);
- sales: licence offers, purchases and withdrawals of earnings (rights.services.sales).
"""

from rights.services.batches import batch_collect as batch_collect
from rights.services.onchain import anchor_submit as anchor_submit
from rights.services.onchain import batch_uri as batch_uri
from rights.services.onchain import fund_submit as fund_submit
from rights.services.onchain import licence_grant as licence_grant
from rights.services.onchain import licence_revoke as licence_revoke
from rights.services.onchain import metadata_uri as metadata_uri
from rights.services.onchain import published_print_record as published_print_record
from rights.services.onchain import registration_submit as registration_submit
from rights.services.onchain import share_transfer as share_transfer
from rights.services.sales import demo_accounts_fund as demo_accounts_fund
from rights.services.sales import earnings_withdraw as earnings_withdraw
from rights.services.sales import licence_buy as licence_buy
from rights.services.sales import offer_approve as offer_approve
from rights.services.sales import offer_close as offer_close
from rights.services.sales import offer_propose as offer_propose
from rights.services.works import SimilarWorks as SimilarWorks
from rights.services.works import owners_set as owners_set
from rights.services.works import review_decide as review_decide
from rights.services.works import work_confirm as work_confirm
from rights.services.works import work_create as work_create
from rights.services.works import work_submit as work_submit
