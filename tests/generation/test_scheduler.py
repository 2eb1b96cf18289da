"""The scheduler: whose job a free worker takes next, caps on jobs running at once, plan
priority, a redelivered turn, and jobs whose worker vanished."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Plan
from generation.models import Job, JobStatus
from generation.scheduler import job_claim, jobs_recover, waiting
from generation.services import job_cancel, job_submit
from projects.models import Role
from tests.projects.factories import MembershipFactory, project_with_team

pytestmark = pytest.mark.django_db
QUOTAS = {"free": {"compute_per_day": 10_000, "max_side": 512, "jobs_in_flight": 10, "running": 1},
          "pro": {"compute_per_day": 10_000, "max_side": 512, "jobs_in_flight": 10, "running": 2,
                  "priority_s": 600}}


@pytest.fixture(autouse=True)
def quotas(settings):
    settings.GENERATION_QUOTAS = QUOTAS
    settings.GENERATION_PROJECT_RUNNING = 3


def submit(project, user, prompt="a lantern") -> Job:
    return job_submit(project=project, user=user, kind="image", preset="tiny-pixart", prompt=prompt,
                      width=64, height=64, steps=1)


def claim_all() -> list[Job]:
    """Claim turns until none may start; the jobs claimed, in order."""
    claimed: list[Job] = []
    while (job_id := job_claim(claim=f"turn-{len(claimed)}")) is not None:
        claimed.append(Job.objects.get(pk=job_id))
    return claimed


def finish(job: Job) -> None:
    Job.objects.filter(pk=job.pk).update(status=JobStatus.SUCCEEDED, finished_at=timezone.now())


def test_people_take_turns_however_many_jobs_each_queued():
    team = project_with_team()
    first = [submit(team.project, team.editor) for _ in range(3)]
    second = [submit(team.project, team.owner) for _ in range(2)]
    order: list[Job] = []
    while (job_id := job_claim(claim=f"turn-{len(order)}")) is not None:
        job = Job.objects.get(pk=job_id)
        order.append(job)
        finish(job)  # one worker: each job ends before the next turn
    assert order == [first[0], second[0], first[1], second[1], first[2]]


def test_a_person_runs_their_plans_number_of_jobs_at_once_and_the_rest_wait():
    team = project_with_team()
    free = [submit(team.project, team.editor) for _ in range(2)]
    team.owner.plan = Plan.PRO
    team.owner.save()
    pro = [submit(team.project, team.owner) for _ in range(3)]
    claimed = claim_all()
    assert sorted(j.pk for j in claimed) == sorted([free[0].pk, pro[0].pk, pro[1].pk])
    assert waiting() == 2
    finish(free[0])
    assert job_claim(claim="after") == free[1].pk  # a job ending frees its owner's turn


def test_a_project_runs_at_most_its_cap_whoever_asked(settings):
    team = project_with_team()
    people = [MembershipFactory(project=team.project, role=Role.EDITOR).user for _ in range(4)]
    jobs = [submit(team.project, person) for person in people]
    other = project_with_team()
    elsewhere = submit(other.project, other.editor)
    claimed = claim_all()
    assert len([j for j in claimed if j.project_id == team.project.pk]) == 3
    assert elsewhere in claimed and jobs[3] not in claimed


def test_a_paying_plan_gets_its_turn_sooner_but_everyone_gets_one():
    team = project_with_team()
    team.owner.plan = Plan.PRO
    team.owner.save()
    free_user = team.editor
    # Both were served just now; the pro user counts as served 10 minutes earlier.
    for user in (team.owner, free_user):
        job = submit(team.project, user)
        Job.objects.filter(pk=job.pk).update(status=JobStatus.SUCCEEDED, started_at=timezone.now())
    free_job = submit(team.project, free_user)
    pro_job = submit(team.project, team.owner)
    assert job_claim(claim="a") == pro_job.pk
    finish(pro_job)
    assert job_claim(claim="b") == free_job.pk


def test_a_turn_handed_out_again_after_its_worker_died_takes_back_its_job():
    team = project_with_team()
    job = submit(team.project, team.editor)
    submit(team.project, team.owner)
    assert job_claim(claim="turn-1") == job.pk
    assert job_claim(claim="turn-1") == job.pk  # the same task id, redelivered


def test_cancelled_jobs_never_start_and_spare_turns_find_nothing():
    team = project_with_team()
    job = submit(team.project, team.editor)
    job_cancel(project=team.project, user=team.editor, job_id=job.public_id)
    assert job_claim(claim="spare") is None


def test_running_jobs_silent_too_long_go_back_in_the_queue(settings):
    settings.GENERATION_STALE_AFTER_S = 60
    team = project_with_team()
    alive, silent = submit(team.project, team.editor), submit(team.project, team.owner)
    for job, ago in ((alive, 10), (silent, 300)):
        Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, claim=f"gone-{job.pk}",
                                             heartbeat_at=timezone.now() - timedelta(seconds=ago))
    assert jobs_recover() == 1
    silent.refresh_from_db()
    assert (silent.status, silent.claim) == (JobStatus.QUEUED, "")
    assert job_claim(claim="new") == silent.pk


def test_a_job_whose_requester_is_gone_still_gets_its_turn():
    team = project_with_team()
    job = submit(team.project, team.editor)
    Job.objects.filter(pk=job.pk).update(requester=None)  # (the account was deleted meanwhile)
    assert job_claim(claim="orphan") == job.pk
