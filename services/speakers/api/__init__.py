"""Routers of the speakers service: HTTP in, schemas out; the work is in `service/`."""

# Each tag's description, in the order the published document lists them.
TAGS: dict[str, str] = {
    "lecturers": "Lecturers (講座) of the shared directory.",
    "engagements": "Engagement records (洽聘紀錄): who taught which class, when, for how long.",
    "search": "Chinese substring search of lecturers; each field shown as its consent allows.",
    "messages": "Contact without disclosure: a message relayed to a lecturer who hides the e-mail.",
    "imports": "Bulk import of lecturers and engagement records from a source's export.",
    "me": "A lecturer's own profile, disclosure consent, engagement records and messages.",
}
