"""Bulk import of learning records from the e-learning platforms.

`lines` cuts the streamed body into numbered lines, `rows` turns one line into a
checked row or per-field errors, `batch` applies a batch of rows to the database,
and `runner` drives a job: batches committed one by one, the last committed row
recorded so that a re-post with the same idempotency key resumes after it. The
API parses one batch while the previous one is being written.
"""
