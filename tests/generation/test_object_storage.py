"""Media on S3-compatible object storage (django-storages), against a local S3 endpoint (moto's
server: there is no S3 here): outputs land in the bucket, members get short-lived signed
links, a rerun replaces the objects."""

import hashlib
import urllib.request
from collections.abc import Iterator

import boto3
import pytest
from moto.server import ThreadedMotoServer
from rest_framework.test import APIClient

from generation import provenance
from generation.execution import job_execute
from generation.models import Asset, Job, JobStatus
from generation.services import job_submit
from tests.servers import free_port

pytestmark = pytest.mark.django_db
BUCKET = "storyloom-media"


@pytest.fixture
def bucket(settings) -> Iterator[object]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    credentials = {"aws_access_key_id": "storyloom", "aws_secret_access_key": "storyloom-secret"}
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **credentials)
    client.create_bucket(Bucket=BUCKET)
    options = {"bucket_name": BUCKET, "endpoint_url": endpoint, "region_name": "us-east-1",
               "location": "media", "access_key": credentials["aws_access_key_id"],
               "secret_key": credentials["aws_secret_access_key"],
               "default_acl": None, "querystring_auth": True, "querystring_expire": 600,
               "signature_version": "s3v4", "file_overwrite": False}
    settings.STORAGES = {**settings.STORAGES,
                         "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}}
    yield client
    server.stop()


def keys(client) -> set[str]:
    return {item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


def test_outputs_go_to_the_bucket_and_members_fetch_them_through_signed_links(
        bucket, team, django_capture_on_commit_callbacks):
    job = job_submit(project=team.project, user=team.editor, kind="image", preset="tiny-pixart",
                     prompt="a lantern on the quay", width=64, height=64, steps=1)
    assert job_execute(job.pk) == JobStatus.SUCCEEDED
    asset = Asset.objects.get(job=job)
    stored = keys(bucket)
    assert {f"media/{getattr(asset, name).name}" for name in ("file", "poster", "thumbnail")} <= stored

    api = APIClient()
    api.force_login(team.viewer)
    media = f"/api/v1/projects/{team.project.pk}/assets/{asset.pk}/file"
    response = api.get(media)
    assert response.status_code == 302 and "X-Amz-Signature=" in response["Location"]
    with urllib.request.urlopen(response["Location"]) as fetched:
        data = fetched.read()
    assert hashlib.sha256(data).hexdigest() == asset.sha256
    assert provenance.read(data, "image/png").valid
    download = api.get(media + "?download=1")["Location"]
    with urllib.request.urlopen(download) as fetched:
        assert fetched.headers["Content-Disposition"] == f'attachment; filename="{job.public_id}-output.png"'
    outsider = APIClient()
    outsider.force_login(team.outsider)
    assert outsider.get(media).status_code == 404

    # A run after a lost worker replaces the objects instead of adding to them.
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)
    with django_capture_on_commit_callbacks(execute=True):
        assert job_execute(job.pk) == JobStatus.SUCCEEDED
    rerun = Asset.objects.get(job=job)
    assert len(keys(bucket)) == len(stored) and f"media/{rerun.file.name}" in keys(bucket)
