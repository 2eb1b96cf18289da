"""Chain transactions the platform signs and pays for on an account's behalf are bounded per plan
and UTC day: registration requests (single or batch), share transfers, licence grants and
revocations. Past the allowance: 429 `chain_allowance`, and nothing queued or half-written."""

import hashlib
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import Plan, User
from kernel.errors import QuotaExceeded
from rights import keys
from rights.keys import user_address
from rights.models import ChainAllowanceUse, ChainTx, Licence, Owner, RegistrationMode, Work, WorkStatus
from rights.services import (
    licence_grant,
    licence_revoke,
    owners_set,
    share_transfer,
    work_confirm,
    work_submit,
)
from tests.projects.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def allowance(settings, tmp_path):
    keys._platform_key.cache_clear()
    settings.CHAIN_DIR = tmp_path / "chain"
    settings.CHAIN_KEYSTORE = tmp_path / "chain" / "keystore.json"
    settings.RIGHTS_CHAIN_TX_PER_DAY = {"free": 2, "pro": 4}
    yield
    keys._platform_key.cache_clear()


def api_for(user: User) -> APIClient:
    api = APIClient()
    api.force_login(user)
    return api


def draft(author: User, *, mode: str = RegistrationMode.SINGLE, status: str = WorkStatus.DRAFT) -> Work:
    digest = hashlib.sha256(f"work {time.monotonic_ns()}".encode()).hexdigest()
    work = Work.objects.create(title="Lighthouse", created_by=author, mime="image/png", size=10,
                               sha256=digest, iscc="ISCC:KEC0000ALLOWANCE", terms_sha256="0" * 64, mode=mode,
                               status=status)
    Owner.objects.create(work=work, user=author, address=user_address(author.pk), bps=10_000)
    return work


def test_registration_requests_past_the_allowance_get_429_and_nothing_is_queued():
    author: User = UserFactory()
    api = api_for(author)
    works = [draft(author), draft(author, mode=RegistrationMode.BATCH), draft(author)]
    for work in works[:2]:  # one alone on chain, one in a batch: each request counts
        response = api.post(f"/api/v1/works/{work.public_id}/submit", {}, format="json")
        assert (response.status_code, response.json()["status"]) == (200, "queued")
    refused = api.post(f"/api/v1/works/{works[2].public_id}/submit", {}, format="json")
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["code"] == "chain_allowance"
    assert "2 chain transactions a day" in error["message"] and "00:00 UTC" in error["message"]
    works[2].refresh_from_db()
    assert works[2].status == WorkStatus.DRAFT  # nothing half-written
    assert not ChainTx.objects.filter(work=works[2]).exists()
    assert ChainTx.objects.count() == 1  # the single-mode registration; the batch one waits
    assert ChainAllowanceUse.objects.filter(user=author).count() == 2
    # Tomorrow the allowance starts again; a paying plan has more.
    yesterday = ChainAllowanceUse.objects.first().created_at - timedelta(days=1)
    ChainAllowanceUse.objects.update(created_at=yesterday)
    assert api.post(f"/api/v1/works/{works[2].public_id}/submit", {}, format="json").status_code == 200


def test_a_registration_counts_once_for_whoever_asked_and_not_for_the_co_owner_who_confirms():
    author: User = UserFactory()
    co_owner: User = UserFactory()
    work = draft(author)
    owners_set(work_id=work.public_id, user=author,
               owners=[{"user": author.pk, "bps": 6000}, {"user": co_owner.pk, "bps": 4000}])
    assert work_submit(work_id=work.public_id, user=author).status == WorkStatus.CONFIRMING
    assert work_submit(work_id=work.public_id, user=author).status == WorkStatus.CONFIRMING  # asked again
    for _ in range(2):  # the co-owner's own allowance is spent elsewhere
        work_submit(work_id=draft(co_owner).public_id, user=co_owner)
    assert work_confirm(work_id=work.public_id, user=co_owner).status == WorkStatus.QUEUED
    assert ChainAllowanceUse.objects.filter(user=author).count() == 1
    assert ChainTx.objects.filter(work=work, function="register").count() == 1


def test_transfers_and_licences_stop_at_the_allowance_with_nothing_queued():
    ada: User = UserFactory()
    ben: User = UserFactory()
    work = draft(ada, status=WorkStatus.REGISTERED)
    share_transfer(work_id=work.public_id, user=ada, bps=1000, to_user_id=ben.pk)
    licence = licence_grant(work_id=work.public_id, user=ada, terms="Screen it once.",
                            licensee_user_id=ben.pk)
    with pytest.raises(QuotaExceeded) as caught:
        licence_grant(work_id=work.public_id, user=ada, terms="Screen it twice.", licensee_user_id=ben.pk)
    assert (caught.value.status, caught.value.code) == (429, "chain_allowance")
    with pytest.raises(QuotaExceeded):
        share_transfer(work_id=work.public_id, user=ada, bps=1000, to_user_id=ben.pk)
    with pytest.raises(QuotaExceeded):
        Licence.objects.filter(pk=licence.pk).update(status="active")
        licence_revoke(licence_id=licence.licence_id, user=ada)
    assert Licence.objects.count() == 1 and ChainTx.objects.count() == 2  # one transfer, one grant
    licence.refresh_from_db()
    assert licence.status == "active"
    ada.plan = Plan.PRO
    ada.save()
    licence_revoke(licence_id=licence.licence_id, user=ada)
    assert ChainTx.objects.filter(function="revokeLicence").count() == 1


def test_the_transfer_page_answers_429_with_the_reason():
    ada: User = UserFactory()
    ben: User = UserFactory()
    work = draft(ada, status=WorkStatus.REGISTERED)
    for _ in range(2):
        share_transfer(work_id=work.public_id, user=ada, bps=1000, to_user_id=ben.pk)
    page = api_for(ada).post(f"/works/{work.public_id}/transfer/",
                             {"to": ben.username, "bps": 1000})
    assert page.status_code == 429
    assert "2 chain transactions a day" in page.content.decode()
    assert ChainTx.objects.filter(function="transferShare").count() == 2


def test_the_usage_page_and_api_show_the_chain_allowance():
    author: User = UserFactory()
    work_submit(work_id=draft(author).public_id, user=author)
    api = api_for(author)
    html = api.get("/accounts/usage/").content.decode()
    assert "Chain transactions" in html and "1 of 2" in html
    allowances = api.get("/api/v1/generation/usage").json()["allowances"]
    assert {"name": "chain_transactions", "used": 1, "limit": 2}.items() <= allowances[0].items()


@pytest.mark.django_db(transaction=True)
def test_requests_sent_at_once_cannot_squeeze_past_the_allowance_together():
    author: User = UserFactory()
    works = [draft(author) for _ in range(6)]
    answers: list[int] = []

    def submit(work: Work) -> None:
        try:
            answers.append(api_for(author).post(f"/api/v1/works/{work.public_id}/submit", {},
                                                format="json").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(work,)) for work in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [200, 200, 429, 429, 429, 429]
    assert ChainAllowanceUse.objects.filter(user=author).count() == 2
    assert ChainTx.objects.count() == 2
