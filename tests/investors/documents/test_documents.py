"""Stored documents and the background jobs that make them: made once, emailed once, after the
transaction that calls for them commits, and finished without duplicates after a crash."""

import datetime
from decimal import Decimal as D

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from capital.models import AuditEntry, Offer, SocietyRole
from investors.documents import services as document_service
from investors.documents.services import certificate_document, request_documents, resume_job, run_job
from investors.errors import DocumentError
from investors.models import Document, DocumentJob
from shares.models import Certificate
from tests import factories
from tests.builders import board_seat, close_and_allocate, issue, paid_application, pdf_text, seed_register

JobKind = DocumentJob.Kind
JobState = DocumentJob.State


@pytest.fixture
def queue_only(settings):
    """Tasks are queued but not run, as with a worker that has not picked them up yet."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": settings.TASK_QUEUES}
    }


@pytest.fixture
def allocated(open_offer, django_capture_on_commit_callbacks):
    """An offer allocated to three investors; the jobs its commit queues have run."""
    applications = [paid_application(offer=open_offer, shares=shares) for shares in (600, 400, 250)]
    with django_capture_on_commit_callbacks(execute=True):
        close_and_allocate(offer=open_offer)
    open_offer.refresh_from_db()
    return open_offer, applications


def test_a_certificate_is_rendered_once_and_kept(community_class, holder):
    issue(holder=holder, share_class=community_class, shares=100)
    certificate = Certificate.objects.get()
    first = certificate_document(certificate)
    again = certificate_document(certificate)

    assert again.pk == first.pk and again.file.name == first.file.name
    assert again.generated_at == first.generated_at
    with first.file.open("rb") as pdf:
        data = pdf.read()
    assert len(data) == first.size and "Certificate" in pdf_text(data)
    assert Document.objects.count() == 1


def test_remaking_replaces_the_file_and_deletes_the_old_one_after_commit(
    community_class, holder, django_capture_on_commit_callbacks, monkeypatch
):
    issue(holder=holder, share_class=community_class, shares=100)
    certificate = Certificate.objects.get()
    first = certificate_document(certificate)
    storage, old_name = first.file.storage, first.file.name
    first.emailed_at = first.generated_at
    first.save()
    real_render = document_service.certificate_pdf
    # The remade PDF differs (a new issue date, say): its file gets a new name.
    monkeypatch.setattr(document_service, "certificate_pdf", lambda c: real_render(c) + b"\n% remade\n")

    with django_capture_on_commit_callbacks(execute=True):
        remade = certificate_document(certificate, remade_since=first.generated_at + _a_moment())

    assert remade.pk == first.pk and remade.generated_at > first.generated_at
    assert remade.digest != first.digest and remade.file.name != old_name
    assert remade.emailed_at is None, "a remade document is sent again by a job that emails"
    assert storage.exists(remade.file.name)
    assert not storage.exists(old_name), "the old file is deleted once the new one is committed"
    assert Document.objects.count() == 1


def _a_moment():
    return datetime.timedelta(microseconds=1)


def test_allocation_emails_each_investor_their_certificate_after_it_commits(allocated):
    offer, applications = allocated
    job = DocumentJob.objects.get()
    assert (job.kind, job.offer_id, job.state) == (JobKind.OFFER_CERTIFICATES, offer.pk, JobState.FINISHED)
    assert (job.total, job.done, job.emailed) == (3, 3, 3)

    assert sorted(message.to[0] for message in mail.outbox) == sorted(a.holder.email for a in applications)
    for message in mail.outbox:
        ((filename, content, mimetype),) = message.attachments
        certificate = Certificate.objects.get(holder__email=message.to[0])
        assert mimetype == "application/pdf" and filename.startswith(f"certificate-{certificate.number}-")
        assert f"{certificate.shares}" in message.body and offer.society.name in message.subject
        assert certificate.holder.name in pdf_text(content)
        assert f"/verify/{certificate.verification_token}/" in message.body, "the certificate check's link"
        [(html, _)] = message.alternatives
        assert offer.society.name in html and certificate.verification_token in html
    assert Document.objects.filter(kind=Document.Kind.CERTIFICATE, emailed_at__isnull=False).count() == 3


def test_nothing_is_made_or_sent_when_the_allocation_is_rolled_back(
    open_offer, django_capture_on_commit_callbacks
):
    paid_application(offer=open_offer, shares=600)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        close_and_allocate(offer=open_offer)
        raise RuntimeError("the board's change of mind")

    assert callbacks == [] and DocumentJob.objects.count() == 0
    assert Document.objects.count() == 0 and mail.outbox == []


def test_a_job_that_crashed_half_way_finishes_on_resume_without_duplicates(
    open_offer, django_capture_on_commit_callbacks, monkeypatch, queue_only
):
    for shares in (100, 200, 300, 400):
        paid_application(offer=open_offer, shares=shares)
    with django_capture_on_commit_callbacks(execute=True):
        close_and_allocate(offer=open_offer)
    job = DocumentJob.objects.get()
    assert (job.state, job.total, job.done) == (JobState.QUEUED, 4, 0)

    real_render = document_service.certificate_pdf
    rendered = []

    def render_until_the_third(certificate):
        if len(rendered) == 2:
            raise OSError("disk full")
        rendered.append(certificate.number)
        return real_render(certificate)

    monkeypatch.setattr(document_service, "certificate_pdf", render_until_the_third)
    with pytest.raises(OSError):
        run_job(job.pk)
    job.refresh_from_db()
    assert (job.state, job.done, job.emailed) == (JobState.FAILED, 2, 2)
    assert "disk full" in job.error and len(mail.outbox) == 2

    monkeypatch.setattr(document_service, "certificate_pdf", real_render)
    director = board_seat(society=open_offer.society, role=SocietyRole.Role.DIRECTOR)
    with django_capture_on_commit_callbacks(execute=True):
        resume_job(job, by=director)
    job = run_job(job.pk)  # the worker picks the queued job up again

    assert (job.state, job.done, job.total) == (JobState.FINISHED, 4, 4)
    assert Document.objects.count() == 4
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        Certificate.objects.values_list("holder__email", flat=True)
    ), "each investor is emailed exactly once"


class WorkerKilled(BaseException):
    """What a killed worker looks like from inside: nothing after it runs, not even `except`."""


def test_a_worker_killed_between_claiming_an_email_and_sending_it_leaves_no_email_unsent(
    open_offer, django_capture_on_commit_callbacks, monkeypatch, queue_only
):
    for shares in (300, 400, 500):
        paid_application(offer=open_offer, shares=shares)
    with django_capture_on_commit_callbacks(execute=True):
        close_and_allocate(offer=open_offer)
    job = DocumentJob.objects.get()
    real_send = document_service._send

    def killed_at_the_second(document):
        if len(mail.outbox) == 1:
            raise WorkerKilled
        real_send(document)

    monkeypatch.setattr(document_service, "_send", killed_at_the_second)
    with pytest.raises(WorkerKilled):
        run_job(job.pk)
    claimed = Document.objects.get(emailed_at__isnull=True, emailing_since__isnull=False)
    # Six minutes later the job counts as stalled, though the dead worker's claim is younger than
    # a claim's own expiry.
    six_minutes_ago = timezone.now() - datetime.timedelta(minutes=6)
    Document.objects.filter(pk=claimed.pk).update(emailing_since=six_minutes_ago)
    DocumentJob.objects.filter(pk=job.pk).update(heartbeat_at=six_minutes_ago)

    monkeypatch.setattr(document_service, "_send", real_send)
    director = board_seat(society=open_offer.society, role=SocietyRole.Role.DIRECTOR)
    with django_capture_on_commit_callbacks(execute=True):
        resume_job(DocumentJob.objects.get(pk=job.pk), by=director)
    job = run_job(job.pk)

    assert (job.state, job.done, job.emailed, job.unsent) == (JobState.FINISHED, 3, 3, 0)
    assert not Document.objects.filter(emailed_at__isnull=True).exists(), "every email was sent"
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        Certificate.objects.values_list("holder__email", flat=True)
    ), "each investor is emailed exactly once"


def test_running_a_finished_job_again_changes_nothing(allocated):
    job = DocumentJob.objects.get()
    files = sorted(Document.objects.values_list("file", flat=True))
    again = run_job(job.pk)
    assert again.state == JobState.FINISHED and len(mail.outbox) == 3
    assert sorted(Document.objects.values_list("file", flat=True)) == files


def test_asking_twice_for_the_same_batch_joins_the_unfinished_job(allocated, queue_only):
    offer, _ = allocated
    secretary = board_seat(society=offer.society, role="secretary")
    ask = {"society": offer.society, "kind": JobKind.OFFER_CERTIFICATES, "offer": offer, "by": secretary}
    first = request_documents(regenerate=True, **ask)
    second = request_documents(regenerate=True, **ask)
    assert second.pk == first.pk and first.state == JobState.QUEUED
    with pytest.raises(DocumentError, match="already being made with other options"):
        request_documents(send_emails=True, **ask)
    assert DocumentJob.objects.filter(state__in=DocumentJob.UNFINISHED).count() == 1


def test_a_remaking_job_remakes_each_document_once_and_emails_again_only_when_asked(allocated):
    offer, _ = allocated
    before = dict(Document.objects.values_list("pk", "generated_at"))
    secretary = board_seat(society=offer.society, role="secretary")
    job = request_documents(
        society=offer.society, kind=JobKind.OFFER_CERTIFICATES, offer=offer, regenerate=True, by=secretary
    )
    job = run_job(job.pk)
    after = dict(Document.objects.values_list("pk", "generated_at"))
    assert after.keys() == before.keys() and all(after[pk] > before[pk] for pk in before)
    assert job.emailed == 0 and len(mail.outbox) == 3

    run_job(job.pk)  # a second pass of the same job remakes nothing
    assert dict(Document.objects.values_list("pk", "generated_at")) == after


@pytest.mark.parametrize("role", [SocietyRole.Role.TREASURER, None])
def test_only_a_director_or_secretary_of_the_society_asks_for_documents(allocated, role):
    offer, _ = allocated
    other_society = factories.SocietyFactory()
    user = (
        board_seat(society=offer.society, role=role)
        if role
        else board_seat(society=other_society, role="secretary")
    )
    with pytest.raises(Exception, match="director or secretary"):
        request_documents(society=offer.society, kind=JobKind.OFFER_CERTIFICATES, offer=offer, by=user)
    assert DocumentJob.objects.count() == 1


def test_batches_that_make_no_sense_are_refused_with_a_reason(allocated, open_offer):
    offer, _ = allocated
    secretary = board_seat(society=offer.society, role="secretary")
    other_offer = factories.OpenOfferFactory()
    cases = [
        ({"kind": JobKind.OFFER_CERTIFICATES, "offer": other_offer}, "this society's offers"),
        ({"kind": JobKind.ANNUAL_SUMMARIES, "tax_year": 1990}, "Choose a tax year"),
        ({"kind": JobKind.RUN_STATEMENTS}, "this society's distribution runs"),
    ]
    for kwargs, message in cases:
        with pytest.raises(DocumentError, match=message):
            request_documents(society=offer.society, by=secretary, **kwargs)
    assert DocumentJob.objects.count() == 1


def test_the_society_certificates_batch_covers_every_valid_certificate(allocated):
    offer, _ = allocated
    Document.objects.all().delete()
    job = request_documents(
        society=offer.society,
        kind=JobKind.SOCIETY_CERTIFICATES,
        by=board_seat(society=offer.society, role="secretary"),
    )
    job = run_job(job.pk)
    assert job.done == Certificate.objects.filter(state="valid").count() == 3
    assert set(Document.objects.values_list("certificate__number", flat=True)) == {1, 2, 3}


def test_downloads_are_for_the_holder_and_their_society_board_only(allocated, client):
    offer, applications = allocated
    document = Document.objects.get(holder=applications[0].holder)
    url = f"/account/documents/{document.pk}/{document.filename}"

    assert client.get(url).status_code == 302  # to the login page
    holder_user = factories.UserFactory()
    applications[0].holder.user = holder_user
    applications[0].holder.save()
    outsiders = [
        factories.UserFactory(),  # another investor
        board_seat(
            society=factories.SocietyFactory(), role=SocietyRole.Role.DIRECTOR
        ),  # another society's board
        # The society's own secretary, logged in with the password alone (no two-factor yet).
        board_seat(society=offer.society, role=SocietyRole.Role.SECRETARY, two_factor=False),
    ]
    for outsider in outsiders:
        client.force_login(outsider)
        assert client.get(url).status_code == 404
    for insider in (holder_user, board_seat(society=offer.society, role=SocietyRole.Role.TREASURER)):
        client.force_login(insider)
        response = client.get(url)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert applications[0].holder.name in pdf_text(response.content)
    assert client.get(url.replace(document.filename, "other.pdf")).status_code == 404
    certificate = applications[0].holder.certificates.first()
    certificate_url = f"/documents/certificates/{offer.society.slug}/{certificate.number}.pdf"
    client.force_login(outsiders[-1])
    assert client.get(certificate_url).status_code == 404
    factories.give_two_factor(outsiders[-1])
    assert client.get(certificate_url).status_code == 200


def test_the_admin_page_shows_progress_and_resumes_a_failed_job(allocated, client, queue_only):
    offer, _ = allocated
    job = DocumentJob.objects.get()
    DocumentJob.objects.filter(pk=job.pk).update(state=JobState.FAILED, done=1, error="OSError: disk full")
    director = board_seat(society=offer.society, role=SocietyRole.Role.DIRECTOR)
    client.force_login(director)

    page = client.get("/admin/documents/bulk/").content.decode()
    assert 'value="1"' in page and "1 of 3" in page and "disk full" in page and "Resume" in page
    progress = client.get(f"/admin/documents/bulk/{job.pk}/progress/").json()
    assert progress == {
        "state": "failed",
        "state_label": "Failed",
        "done": 1,
        "total": 3,
        "percent": 33,
        "emailed": 3,
        "unsent": 0,
        "error": "OSError: disk full",
        "resumable": True,
    }

    response = client.post(f"/admin/documents/bulk/{job.pk}/resume/")
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.state == JobState.QUEUED and job.error == ""


def test_the_admin_form_queues_a_batch_and_another_society_cannot_see_it(allocated, client, queue_only):
    offer, _ = allocated
    client.force_login(board_seat(society=offer.society, role="secretary"))
    response = client.post(
        "/admin/documents/bulk/",
        {"society": offer.society.pk, "kind": JobKind.SOCIETY_CERTIFICATES, "send_emails": "on"},
    )
    assert response.status_code == 302
    job = DocumentJob.objects.get(kind=JobKind.SOCIETY_CERTIFICATES)
    assert (job.state, job.total, job.send_emails) == (JobState.QUEUED, 3, True)

    client.force_login(board_seat(society=factories.SocietyFactory(), role=SocietyRole.Role.DIRECTOR))
    assert client.get(f"/admin/documents/bulk/{job.pk}/progress/").status_code == 404
    assert offer.society.name not in client.get("/admin/documents/bulk/").content.decode()
    response = client.post(
        "/admin/documents/bulk/", {"society": offer.society.pk, "kind": JobKind.SOCIETY_CERTIFICATES}
    )
    assert response.status_code == 200 and "valid choice" in response.content.decode()
    assert DocumentJob.objects.filter(kind=JobKind.SOCIETY_CERTIFICATES).count() == 1


def test_approving_a_run_emails_each_holder_their_statement_after_it_commits(
    society, investor_class, django_capture_on_commit_callbacks
):
    from investors.runs.services import approve_run, start_run

    factories.ReturnScheduleFactory(share_class=investor_class, first_year_end=datetime.date(2019, 12, 31))
    holders = seed_register(share_class=investor_class, holdings=[("Ann", 6000), ("Ben", 4000)])
    director = board_seat(society=society, role=SocietyRole.Role.DIRECTOR)
    run = start_run(share_class=investor_class, year=1, surplus=D("8000"), by=director)
    assert DocumentJob.objects.count() == 0, "a draft sends nothing"
    with django_capture_on_commit_callbacks(execute=True):
        approve_run(run=run, by=director)

    job = DocumentJob.objects.get()
    assert (job.kind, job.run_id, job.state, job.done, job.emailed) == (
        JobKind.RUN_STATEMENTS,
        run.pk,
        "finished",
        2,
        2,
    )
    assert sorted(message.to[0] for message in mail.outbox) == sorted(holder.email for holder in holders)
    for message in mail.outbox:
        ((filename, content, _),) = message.attachments
        holder = next(h for h in holders if h.email == message.to[0])
        text = pdf_text(content)
        assert holder.name in text and "year 1" in message.body.lower()
        share = {"Ann": "1,200.00", "Ben": "800.00"}[holder.name]  # 25% of £8,000 pro rata
        assert share in text
    assert Document.objects.filter(kind=Document.Kind.STATEMENT, run=run).count() == 2


def test_yearly_summaries_are_made_for_everyone_with_a_holding_in_an_ended_tax_year(society, investor_class):
    from investors.runs.tax_year import tax_year_of

    last_year = tax_year_of(timezone.localdate()) - 1
    holders = seed_register(
        share_class=investor_class, holdings=[("Ann", 600), ("Ben", 400)], on=datetime.date(last_year, 6, 1)
    )
    secretary = board_seat(society=society, role="secretary")
    with pytest.raises(DocumentError, match="tax year that has ended"):
        request_documents(
            society=society, kind=JobKind.ANNUAL_SUMMARIES, tax_year=last_year + 1, by=secretary
        )
    job = run_job(
        request_documents(society=society, kind=JobKind.ANNUAL_SUMMARIES, tax_year=last_year, by=secretary).pk
    )
    assert job.done == job.total == 2
    summaries = Document.objects.filter(kind=Document.Kind.ANNUAL_SUMMARY, tax_year=last_year)
    assert set(summaries.values_list("holder", flat=True)) == {holder.pk for holder in holders}


def test_an_address_the_mail_server_refuses_is_counted_and_the_others_still_get_theirs(
    open_offer, django_capture_on_commit_callbacks, settings
):
    settings.EMAIL_BACKEND = "tests.failing_email.RefusingBackend"
    paid_application(
        offer=open_offer, shares=600, holder=factories.HolderFactory(email="refused@example.org")
    )
    paid_application(offer=open_offer, shares=400)
    with django_capture_on_commit_callbacks(execute=True):
        close_and_allocate(offer=open_offer)
    job = DocumentJob.objects.get()
    assert (job.state, job.done, job.emailed, job.unsent) == (JobState.FINISHED, 2, 1, 1)
    assert len(mail.outbox) == 1 and mail.outbox[0].to != ["refused@example.org"]

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    director = board_seat(society=open_offer.society, role=SocietyRole.Role.DIRECTOR)
    with django_capture_on_commit_callbacks(execute=True):
        resume_job(job, by=director)
    job.refresh_from_db()
    assert (job.state, job.emailed, job.unsent) == (JobState.FINISHED, 2, 0)
    assert mail.outbox[1].to == ["refused@example.org"]
    assert len(mail.outbox) == 2, "the one already sent is not sent again"


def test_a_late_certificate_the_mail_server_refuses_is_audited_and_sent_with_the_offers_certificates(
    open_offer, settings
):
    """Shares issued after the allocation (a card taken later) get their certificate on their own;
    a refused send is told to the board and goes out once the offer's certificates are sent again."""
    paid_application(
        offer=open_offer, shares=600, holder=factories.HolderFactory(email="refused@example.org")
    )
    paid_application(offer=open_offer, shares=400)
    close_and_allocate(offer=open_offer)  # its own document job is left unrun
    certificate = Certificate.objects.get(holder__email="refused@example.org")
    settings.EMAIL_BACKEND = "tests.failing_email.RefusingBackend"

    assert document_service.make_late_certificate.call(certificate.ledger_entry_id) == 1

    document = Document.objects.get(certificate=certificate)
    assert document.emailed_at is None and not mail.outbox
    refused = AuditEntry.objects.get(action="document.email_refused")
    assert f"certificate {certificate.number}" in refused.summary and refused.data == {
        "document": document.pk
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    secretary = board_seat(society=open_offer.society, role="secretary")
    for _ in range(2):  # the allocation's own job, then the board's: each sends only what is unsent
        job = DocumentJob.objects.filter(state__in=DocumentJob.UNFINISHED).first() or request_documents(
            society=open_offer.society,
            kind=JobKind.OFFER_CERTIFICATES,
            offer=Offer.objects.get(pk=open_offer.pk),
            send_emails=True,
            by=secretary,
        )
        run_job(job.pk)
        document_service.make_late_certificate.call(certificate.ledger_entry_id)
    other = Certificate.objects.exclude(pk=certificate.pk).get().holder.email
    assert sorted(message.to[0] for message in mail.outbox) == sorted(["refused@example.org", other])


def test_a_send_claimed_by_a_worker_that_died_is_taken_over_later(allocated):
    document = Document.objects.first()
    Document.objects.filter(pk=document.pk).update(
        emailed_at=None, emailing_since=timezone.now() - datetime.timedelta(seconds=30)
    )
    assert document_service._email_once(document) == document_service.ALREADY, "a fresh claim is respected"
    Document.objects.filter(pk=document.pk).update(
        emailing_since=timezone.now() - datetime.timedelta(hours=1)
    )
    assert document_service._email_once(document) == document_service.SENT
    document.refresh_from_db()
    assert document.emailed_at is not None and document.emailing_since is None
