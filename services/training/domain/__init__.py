"""Yearly training-hours compliance (學習時數) as pure functions over plain data.

Topics, requirement policies by year and agency, one person's evaluation and the
agency roll-up (from evaluations, or from hours summed per requirement for large
agencies); no HTTP, no database, no clock (callers pass `as_of`).
"""
