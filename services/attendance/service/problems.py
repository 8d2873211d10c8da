"""Problems the attendance rules raise, with structured fields for clients."""

from __future__ import annotations

from services.attendance.domain.comptime import InsufficientBalance
from services.attendance.domain.worktime import Evaluation, Violation
from services.common.errors import Conflict, FieldError, Problem


class LimitError(FieldError):
    """One work-hour limit a record breaks: the kernel's field error (the
    record's minutes, the limit's code, its message) with the figures."""

    limit: str
    regime: str
    limit_minutes: int
    actual_minutes: int
    limit_days: int | None = None
    actual_days: int | None = None

    @classmethod
    def of(cls, violation: Violation) -> LimitError:
        return cls(
            field="body.minutes",
            reason=violation.message,
            code=violation.code,
            limit=violation.code,
            regime=violation.regime.value,
            limit_minutes=violation.limit_minutes,
            actual_minutes=violation.actual_minutes,
            limit_days=violation.limit_days,
            actual_days=violation.actual_days,
        )


class WorkHourLimitExceeded(Problem):
    """Names every limit broken: `detail` joins their messages, `errors[]` has
    one entry each; `limit` (the first) and `violations` stay for older clients."""

    status, slug, title = 422, "work-hour-limit", "Work-hour limit exceeded"

    def __init__(self, evaluation: Evaluation) -> None:
        first = evaluation.violations[0]
        super().__init__(
            "; ".join(v.message for v in evaluation.violations),
            errors=[LimitError.of(v) for v in evaluation.violations],
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
