"""Public operations of the training service and the permission each needs.

The gateway checks the family; the service narrows it: `…:self`, `…:unit`,
`…:agency` for records, reports and evaluations; national policies need the
unscoped `training:records:write`; an importer needs `training:imports:<source>`
for the platform it imports from (the family `training:imports` is what the
gateway sees).
"""

READ = "training:records:read"
WRITE = "training:records:write"
CLASSES = "training:classes:write"
IMPORTS = "training:imports"

ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/api/training/audit/personal-data-reads"): "training:audit:read",
    # catalogue: reference data, readable by anyone who reads training records
    ("GET", "/api/training/categories"): READ,
    ("PUT", "/api/training/categories/{code}"): CLASSES,
    ("GET", "/api/training/courses"): READ,
    ("POST", "/api/training/courses"): CLASSES,
    ("GET", "/api/training/courses/{course_id}"): READ,
    # classes and their lecturers
    ("GET", "/api/training/classes"): READ,
    ("POST", "/api/training/classes"): CLASSES,
    ("GET", "/api/training/classes/{class_id}"): READ,
    ("POST", "/api/training/classes/{class_id}/sessions"): CLASSES,
    # learning records
    ("GET", "/api/training/records"): READ,
    ("GET", "/api/training/records/{record_id}"): READ,
    ("GET", "/api/training/records/{record_id}/history"): READ,
    ("POST", "/api/training/records/{record_id}/corrections"): WRITE,
    ("POST", "/api/training/records/{record_id}/withdrawal"): WRITE,
    ("GET", "/api/training/persons/{person_id}/evaluation"): READ,
    # requirement policies
    ("GET", "/api/training/policies/national"): READ,
    ("GET", "/api/training/policies/national/{year}"): READ,
    ("PUT", "/api/training/policies/national/{year}"): WRITE,
    ("DELETE", "/api/training/policies/national/{year}"): WRITE,
    ("GET", "/api/training/policies/agencies/{agency_code}/overrides"): READ,
    ("PUT", "/api/training/policies/agencies/{agency_code}/overrides/{from_year}"): WRITE,
    ("DELETE", "/api/training/policies/agencies/{agency_code}/overrides/{from_year}"): WRITE,
    ("GET", "/api/training/policies/agencies/{agency_code}/effective"): READ,
    # reports
    ("GET", "/api/training/reports/agencies/{agency_code}"): READ,
    ("GET", "/api/training/reports/persons/{person_id}"): READ,
    # roster: who works where, pushed from the directory
    ("PUT", "/api/training/roster/agencies/{agency_code}"): WRITE,
    ("POST", "/api/training/roster/agencies/{agency_code}/sync"): WRITE,
    # bulk import
    ("POST", "/api/training/imports"): IMPORTS,
    ("GET", "/api/training/imports/{job_id}"): IMPORTS,
    ("GET", "/api/training/imports/{job_id}/errors.csv"): IMPORTS,
}
