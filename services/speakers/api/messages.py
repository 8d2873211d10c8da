"""The contact relay: writing to a lecturer without learning the address."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status

from services.common.db import WriteSessionDep
from services.common.ids import Id
from services.speakers.access import Searcher
from services.speakers.schemas import MessageCreate, MessageSent
from services.speakers.service import messages
from services.speakers.settings import SpeakersSettings

router = APIRouter(prefix="/lecturers", tags=["messages"])


def _settings(request: Request) -> SpeakersSettings:
    settings = request.app.state.settings
    assert isinstance(settings, SpeakersSettings)
    return settings


SettingsDep = Annotated[SpeakersSettings, Depends(_settings)]


@router.post(
    "/{lecturer_id}/messages",
    summary="Write to a lecturer through the directory (the address stays undisclosed)",
    response_model=MessageSent,
    status_code=status.HTTP_201_CREATED,
    # Its 429 (the sender's hourly or daily limit) is the gateway's documented one.
)
def send_message(
    lecturer_id: Id,
    body: MessageCreate,
    session: WriteSessionDep,
    settings: SettingsDep,
    who: Searcher,
) -> MessageSent:
    message = messages.send(session, settings, who, lecturer_id, body)
    assert message.id is not None
    return MessageSent(id=message.id, lecturer_id=lecturer_id, sent_at=message.sent_at)
