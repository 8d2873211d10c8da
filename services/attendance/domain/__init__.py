"""Attendance rules as pure functions over plain data: work-hour limits and the comp-time clock."""
