"""Renders are metered in compute (frames × width × height × steps) per requester and day, in a
ledger that outlives the jobs. Jobs from yesterday (UTC) on get their row, so the day this runs
counts what was already rendered; failed and cancelled ones count nothing, as before."""

from datetime import UTC, datetime, time, timedelta

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def forwards(apps, schema_editor):
    Job = apps.get_model("generation", "Job")
    ComputeUse = apps.get_model("generation", "ComputeUse")
    since = datetime.combine(datetime.now(UTC).date() - timedelta(days=1), time.min, tzinfo=UTC)
    jobs = Job.objects.filter(created_at__gte=since, requester__isnull=False).iterator()
    ComputeUse.objects.bulk_create([
        ComputeUse(user_id=job.requester_id, job_id=job.pk,
                   pixel_steps=0 if job.status in ("failed", "cancelled")
                   else job.frames * job.width * job.height * job.steps)
        for job in jobs], batch_size=1000)
    # (auto_now_add set every created_at to now: back to their jobs' times)
    ComputeUse.objects.update(created_at=Subquery(Job.objects.filter(pk=OuterRef("job_id")).values("created_at")[:1]))


class Migration(migrations.Migration):

    dependencies = [
        ("generation", "0005_remix_lineage_error_detail"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ComputeUse",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("pixel_steps", models.PositiveBigIntegerField()),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("job", models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                             related_name="compute_use", to="generation.job")),
                ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                           to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "indexes": [models.Index(fields=["user", "created_at"], name="generation_compute_day")],
            },
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
