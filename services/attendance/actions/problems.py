"""Problems the attendance rules raise, with structured fields for clients."""

from __future__ import annotations

from services.attendance.domain.comptime import InsufficientBalance
from services.attendance.domain.worktime import Evaluation
from services.common.errors import Conflict, Problem


class WorkHourLimitExceeded(Problem):
    status, slug, title = 422, "work-hour-limit", "Work-hour limit exceeded"

    def __init__(self, evaluation: Evaluation) -> None:
        first = evaluation.violations[0]
        super().__init__(
            first.message,
            extra={
                "limit": first.code,
                "regime": evaluation.regime.value,
                "violations": [
                    {
                        "limit": v.code,
                        "regime": v.regime.value,
                        "limit_minutes": v.limit_minutes,
                        "actual_minutes": v.actual_minutes,
                        "limit_days": v.limit_days,
                        "actual_days": v.actual_days,
                        "message": v.message,
                    }
                    for v in evaluation.violations
                ],
            },
        )


class NotEnoughComptime(Conflict):
    slug, title = "insufficient-comp-time", "Not enough comp time"

    def __init__(self, exc: InsufficientBalance) -> None:
        super().__init__(
            str(exc),
            extra={"available_minutes": exc.available, "requested_minutes": exc.requested},
        )
