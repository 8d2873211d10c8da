"""Public operations of the speakers service and the permission each needs."""

ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/api/speakers/audit/personal-data-reads"): "speakers:audit:read",
    ("POST", "/api/speakers/lecturers"): "speakers:lecturers:write",
    ("GET", "/api/speakers/lecturers"): "speakers:search",
    ("GET", "/api/speakers/lecturers/{lecturer_id}"): "speakers:search",
    ("POST", "/api/speakers/engagements"): "speakers:engagements:write",
    ("GET", "/api/speakers/engagements/{engagement_id}"): "speakers:search",
    ("DELETE", "/api/speakers/engagements/{engagement_id}"): "speakers:engagements:write",
}
