"""`speakers.deliver-notices`: registered with the jobs, run through
`renshi jobs run`, delivering each relayed message once however often it runs,
and retrying what a channel refused."""

from __future__ import annotations

from renshi import jobs as job_registry
from services.speakers import jobs
from services.speakers.settings import SpeakersSettings
from tests.notice_stubs import mail_server, webhook_receiver
from tests.speakers.conftest import SEARCHER, add_lecturer

EMAIL = "relay.lecturer@example.gov.tw"


def _send(call, lecturer_id: int, subject: str) -> None:
    sent = call(
        "POST",
        f"/lecturers/{lecturer_id}/messages",
        SEARCHER,
        json={"subject": subject, "body": "敬邀講授資安治理"},
    )
    assert sent.status_code == 201, sent.text


def test_the_job_is_registered_and_scheduled():
    assert job_registry.registry()["speakers.deliver-notices"] is jobs.deliver_notices
    assert "speakers.deliver-notices" in job_registry.schedules()


def test_run_twice_it_delivers_each_message_once(call, service_urls, monkeypatch):
    lecturer_id = add_lecturer(call, name="吳資安", email=EMAIL)
    _send(call, lecturer_id, "邀請授課一")
    _send(call, lecturer_id, "邀請授課二")
    with webhook_receiver() as hook, mail_server() as inbox:
        for name, value in {
            "SPEAKERS_DATABASE_URL": service_urls["speakers"],
            "SPEAKERS_ENVIRONMENT": "test",
            "SPEAKERS_NOTICE_WEBHOOK_URL": hook.url,
            "SPEAKERS_SMTP_HOST": "127.0.0.1",
            "SPEAKERS_SMTP_PORT": str(inbox.port),
        }.items():
            monkeypatch.setenv(name, value)
        first = job_registry.run_one("speakers.deliver-notices")
        second = job_registry.run_one("speakers.deliver-notices")
        assert (first["webhook"], first["email"], first["delivery_failures"]) == (2, 2, 0)
        assert (second["webhook"], second["email"]) == (0, 0)
        assert len(hook.received) == 2
        assert [rcpt for rcpt, _ in inbox.messages] == [[EMAIL], [EMAIL]]
        # Nothing of the address in what the job reports (it goes to logs).
        assert EMAIL not in repr(first)


def test_a_refused_delivery_is_tried_again_on_the_next_run(call, service_urls):
    lecturer_id = add_lecturer(call, name="鄭倫理", email=EMAIL)
    _send(call, lecturer_id, "邀請授課")
    with mail_server() as inbox:
        # A webhook nobody listens on: refused, and kept for the next run.
        down = SpeakersSettings(
            database_url=service_urls["speakers"],
            environment="test",
            notice_webhook_url="http://127.0.0.1:9/unreachable",
            notice_webhook_timeout=1.0,
            smtp_host="127.0.0.1",
            smtp_port=inbox.port,
        )
        failed = jobs.deliver_notices(settings=down)
        assert (failed["email"], failed["webhook"], failed["delivery_failures"]) == (1, 0, 1)
        with webhook_receiver() as hook:
            up = down.model_copy(update={"notice_webhook_url": hook.url})
            retried = jobs.deliver_notices(settings=up)
            assert (retried["webhook"], retried["email"]) == (1, 0)
            assert len(hook.received) == 1
    assert len(inbox.messages) == 1
