"""The register PDF from the board's register page: made by a document job, not in the request,
and downloaded from the job's page once it is stored."""

import pytest
from django.urls import reverse

from capital.models import SocietyRole
from investors.models import DocumentJob
from tests import factories
from tests.builders import board_seat, pdf_text, seed_register

Role = SocietyRole.Role


@pytest.fixture
def register(investor_class):
    seed_register(share_class=investor_class, holdings=[("Ada Lovelace", 120), ("Grace Hopper", 80)])
    return investor_class.society


def test_the_register_pdf_is_made_by_a_job_and_downloaded_from_its_page(
    register, client, django_capture_on_commit_callbacks
):
    client.force_login(board_seat(society=register, role=Role.TREASURER))
    url = reverse("register_pdf", args=[register.slug])
    assert client.get(url).status_code == 405, "nothing is rendered in a plain request"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    job = DocumentJob.objects.get(kind=DocumentJob.Kind.REGISTER_PDF)
    assert response["Location"] == reverse("register_pdf_job", args=[job.pk])
    assert (job.state, job.done, job.total, job.society) == (DocumentJob.State.FINISHED, 1, 1, register)
    assert job.file.name.startswith(f"documents/{register.slug}/register_pdf/register-")

    page = client.get(response["Location"]).content.decode()
    download = reverse("register_pdf_file", args=[job.pk])
    assert download in page and "It is ready" in page
    pdf = client.get(download)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = pdf_text(b"".join(pdf.streaming_content))
    assert "Ada Lovelace" in text and "Grace Hopper" in text


def test_a_register_job_still_being_made_is_joined_and_its_page_waits(register, client, settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": settings.TASK_QUEUES}
    }
    client.force_login(board_seat(society=register, role=Role.SECRETARY))
    url = reverse("register_pdf", args=[register.slug])
    first, second = client.post(url), client.post(url)
    job = DocumentJob.objects.get()
    assert first["Location"] == second["Location"] == reverse("register_pdf_job", args=[job.pk])
    page = client.get(first["Location"]).content.decode()
    assert "being made in the background" in page and 'http-equiv="refresh"' in page
    assert client.get(reverse("register_pdf_file", args=[job.pk])).status_code == 404


def test_only_those_who_may_see_the_register_see_its_job(
    register, client, django_capture_on_commit_callbacks
):
    client.force_login(board_seat(society=register, role=Role.DIRECTOR))
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(reverse("register_pdf", args=[register.slug]))["Location"]
    job = DocumentJob.objects.get()
    for role in (Role.DIRECTOR, Role.TREASURER):
        client.force_login(board_seat(society=register, role=role))
        assert client.get(page).status_code == 200
    client.force_login(board_seat(society=factories.SocietyFactory(), role=Role.DIRECTOR))
    assert client.get(page).status_code == 404
    assert client.get(reverse("register_pdf_file", args=[job.pk])).status_code == 404
