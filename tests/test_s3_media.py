"""Media on S3-compatible storage (django-storages) when MEDIA_S3_* is set: a certificate PDF
is stored in the bucket and read back from it, against moto's S3 server on loopback."""

import hashlib
import os
import socket
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from investors.documents.services import certificate_document
from shares.models import Certificate
from tests.builders import issue

ROOT = Path(__file__).resolve().parent.parent
BUCKET = "commonshare-media"
KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "eu-west-2"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server():
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_media(settings, s3_server):
    client = boto3.client("s3", endpoint_url=s3_server, **KEYS)
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": KEYS["region_name"]})
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_server,
                "region_name": KEYS["region_name"],
                "access_key": KEYS["aws_access_key_id"],
                "secret_key": KEYS["aws_secret_access_key"],
                "location": "media",
                "default_acl": None,
                "file_overwrite": False,
            },
        },
    }
    yield client
    for listed in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=listed["Key"])
    client.delete_bucket(Bucket=BUCKET)


def test_a_certificate_pdf_is_stored_in_the_bucket_and_read_back(s3_media, investor_class, holder, settings):
    issue(holder=holder, share_class=investor_class, shares=50)
    document = certificate_document(Certificate.objects.get(holder=holder))

    stored = s3_media.get_object(Bucket=BUCKET, Key=f"media/{document.file.name}")["Body"].read()
    assert stored.startswith(b"%PDF") and hashlib.sha256(stored).hexdigest() == document.digest
    assert not Path(settings.MEDIA_ROOT).exists() or not any(Path(settings.MEDIA_ROOT).rglob("*.pdf"))

    document.refresh_from_db()
    with document.file.open("rb") as pdf:
        assert pdf.read() == stored, "the site reads the same file back from the bucket"
    assert certificate_document(document.certificate) == document, "kept, not made again"


def test_media_s3_settings_choose_the_s3_storage():
    env = {
        **os.environ,
        "MEDIA_S3_BUCKET": BUCKET,
        "MEDIA_S3_ENDPOINT_URL": "http://127.0.0.1:9000",
        "MEDIA_S3_PREFIX": "media",
    }
    code = (
        "import config.settings as s; o = s.STORAGES['default']; p = o['OPTIONS']; "
        "print(o['BACKEND'], p['bucket_name'], p['endpoint_url'], p['location'])"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "storages.backends.s3.S3Storage",
        BUCKET,
        "http://127.0.0.1:9000",
        "media",
    ]
    env.pop("MEDIA_S3_BUCKET")
    default = "import config.settings as s; print(s.STORAGES['default']['BACKEND'])"
    result = subprocess.run(
        [sys.executable, "-c", default], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.stdout.strip() == "django.core.files.storage.FileSystemStorage", "the filesystem by default"
