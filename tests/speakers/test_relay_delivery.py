"""Relayed messages reach the lecturer's own address through the kernel's
delivery; the webhook payload carries the message, never the address."""

from __future__ import annotations

from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

from sqlmodel import Session, col, select

from services.speakers.models import Notice
from services.speakers.service.notices import deliver
from services.speakers.settings import SpeakersSettings
from tests.notice_stubs import mail_server, webhook_receiver
from tests.speakers.conftest import SEARCHER, add_lecturer

EMAIL = "hidden.lecturer@example.gov.tw"


def test_a_relayed_message_is_mailed_to_the_lecturer_and_posted_without_the_address(
    call, apps, service_urls
):
    lecturer_id = add_lecturer(call, name="周倫理", email=EMAIL)
    no_address = add_lecturer(call, name="無信箱")
    for target in (lecturer_id, no_address):
        sent = call(
            "POST",
            f"/lecturers/{target}/messages",
            SEARCHER,
            json={"subject": "邀請授課", "body": "敬邀講授公務倫理"},
        )
        assert sent.status_code == 201
    engine = apps["speakers"].state.engine
    with webhook_receiver() as hook, mail_server() as inbox:
        settings = SpeakersSettings(
            database_url=service_urls["speakers"],
            environment="test",
            notice_webhook_url=hook.url,
            smtp_host="127.0.0.1",
            smtp_port=inbox.port,
        )
        tally = deliver(engine, settings)
    assert (tally.webhook, tally.email) == (2, 1)
    [(recipients, data)] = inbox.messages
    assert recipients == [EMAIL]
    mail = message_from_bytes(data, policy=default)
    assert isinstance(mail, EmailMessage)
    content = mail.get_content()
    assert "敬邀講授公務倫理" in content and "searcher.a01" in content
    assert all(EMAIL not in repr(payload) for payload in hook.received)
    assert {p["recipient_id"] for p in hook.received} == {
        f"lecturer:{lecturer_id}",
        f"lecturer:{no_address}",
    }
    with Session(engine) as session:
        notices = session.exec(select(Notice).order_by(col(Notice.id))).all()
    # The lecturer without an address still gets the webhook; the mail waits.
    assert [n.email_delivered_at is not None for n in notices] == [True, False]
