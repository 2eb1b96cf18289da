"""The staff Models page installs presets' weights from the Hub: each preset's last install, its
progress and how it ended."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("generation", "0006_compute_use"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ModelInstall",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("preset", models.CharField(max_length=64, unique=True)),
                ("status", models.CharField(choices=[("queued", "Queued"), ("running", "Downloading"),
                                                     ("succeeded", "Installed"), ("failed", "Failed")],
                                            default="queued", max_length=12)),
                ("token", models.CharField(blank=True, max_length=32)),
                ("bytes_done", models.PositiveBigIntegerField(default=0)),
                ("bytes_total", models.PositiveBigIntegerField(default=0)),
                ("files_done", models.PositiveIntegerField(default=0)),
                ("files_total", models.PositiveIntegerField(default=0)),
                ("error", models.TextField(blank=True)),
                ("error_detail", models.TextField(blank=True)),
                ("started_at", models.DateTimeField(blank=True, null=True)),
                ("updated_at", models.DateTimeField(blank=True, null=True)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                ("requested_by", models.ForeignKey(blank=True, null=True,
                                                   on_delete=django.db.models.deletion.SET_NULL,
                                                   related_name="+", to=settings.AUTH_USER_MODEL)),
            ],
            options={"ordering": ["preset"]},
        ),
    ]
