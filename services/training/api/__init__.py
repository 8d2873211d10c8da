"""Routers of the training service: HTTP in, schemas out."""

# Each tag's description, in the order the published document lists them.
TAGS: dict[str, str] = {
    "catalogue": "Portal course categories (課程類別) and courses with their hours.",
    "classes": "Training classes an agency runs, their sessions and lecturers.",
    "records": "Learning records (學習時數): one person's hours, corrections and withdrawals.",
    "persons": "One person's yearly standing against the hour requirements.",
    "imports": "Bulk learning-record imports from the e-learning platforms, per source, as jobs.",
    "policies": "The yearly hour requirements: national rows and agencies' stricter overrides.",
    "reports": (
        "Agency and authority completion rates (AI 知能課程學習時數達成率), as JSON or files."
    ),
    "roster": "Each agency's staff list, as the directory has it: whom the reports count.",
    "ai-hours": (
        "Each person's AI hours per year, changed since a moment: the certs service's "
        "nightly pull, for its own account only."
    ),
}
