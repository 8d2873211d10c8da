"""Attendance and comp time service: Attendance and overtime, work-hour limits, the comp-time
ledger with per-overtime expiry, warnings and settlement.
"""
