"""Remixes keep their source's hash and video id (the source may be deleted later); a failure's
internals move to `error_detail` (staff only), the people who asked see a plain message."""

from django.db import migrations, models

GENERIC = "The render failed on the worker. Try again; if it fails again, give support the id {id}."


def forwards(apps, schema_editor):
    Job = apps.get_model("generation", "Job")
    for job in Job.objects.filter(parent__isnull=False).select_related("parent__job").iterator():
        job.parent_sha256, job.remixed_from = job.parent.sha256, job.parent.job.public_id
        job.save(update_fields=["parent_sha256", "remixed_from"])
    for job in Job.objects.filter(status="failed").exclude(error="").iterator():
        if job.error.startswith("Out of memory"):
            continue  # already written for people
        job.error_detail, job.error = job.error, GENERIC.format(id=job.public_id)
        job.save(update_fields=["error", "error_detail"])


class Migration(migrations.Migration):

    dependencies = [
        ("generation", "0004_scheduling_storyboards"),
    ]

    operations = [
        migrations.AddField(
            model_name="job",
            name="error_detail",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="job",
            name="parent_sha256",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="job",
            name="remixed_from",
            field=models.CharField(blank=True, max_length=40),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
