"""Media on S3-compatible storage: the same code paths with `S3_BUCKET` set.

moto's S3 server (a separate HTTP server speaking the S3 protocol) stands in for
AWS, MinIO or Ceph, so boto3 and django-storages do real requests. An H5P
package is imported into the bucket and its files are served to the player
through the site; an assignment file is stored privately (its URL is signed).
"""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage

from courses.h5p.services import content_import
from lms.models import Organisation
from tests.h5p.h5p_factories import SAMPLES

pytestmark = pytest.mark.django_db

S3_OPTIONS = {
    "bucket_name": "lms-media",
    "region_name": "us-east-1",
    "access_key": "test",
    "secret_key": "test",
    "location": "media",
    "default_acl": "private",
    "querystring_auth": True,
    "querystring_expire": 600,
    "file_overwrite": False,
}


@pytest.fixture
def s3(settings):
    boto3 = pytest.importorskip("boto3")
    server_module = pytest.importorskip("moto.server")
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    ).create_bucket(Bucket="lms-media")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {**S3_OPTIONS, "endpoint_url": endpoint},
        },
    }
    # Django's test signals reset `storages` and `default_storage` on change.
    yield endpoint
    server.stop()


def test_h5p_files_go_to_the_bucket_and_reach_the_player(s3, client):
    from storages.backends.s3 import S3Storage

    with open(SAMPLES / "valid" / "drag-text.h5p", "rb") as handle:
        content = content_import(
            source=handle,
            centre=Organisation.objects.get(code="R3"),
            user=None,
            can_install_libraries=True,
        ).content
    assert isinstance(default_storage._wrapped, S3Storage)  # really the bucket
    name = f"h5p/content/{content.uuid}/content/content.json"
    assert default_storage.exists(name)
    response = client.get(f"/h5p/files/content/{content.uuid}/content/content.json")
    assert response.status_code == 200
    served = b"".join(response.streaming_content)
    assert served == default_storage.open(name).read()
    # Media links are signed and expire: the bucket itself stays private.
    url = default_storage.url(name)
    assert "X-Amz-Signature=" in url or "Signature=" in url
