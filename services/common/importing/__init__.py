"""The one import pipeline: a streamed file in, a job with per-row errors out.

What a service supplies is its row check and how a batch of checked rows is
written (`runner.ImportKind`), plus two tables declared from the mixins in
`model` (the job and its row errors, in the service's own database). The
kernel does the rest, the same way for every import:

- `lines`: the body cut into numbered lines as it streams in, each at most
  64 KiB, a UTF-8 byte-order mark dropped;
- `charsets`: the declared charset (UTF-8 by default, Big5 as code page 950);
- `rows`: CSV (a header line) or JSON Lines into name → text mappings, and one
  `RowError` shape (row, field, code, reason; values are never echoed, since a
  rejected cell may be a national ID). Row N is the N-th line after any header;
- `runner`: batches parsed while the previous one is written, each batch
  committed with the job's progress (`batch_transaction`), resume by
  `Idempotency-Key` (the committed lines must come again byte for byte), dry
  run, and `ImportKind.prepare` to resolve persons at peers before the batch's
  transaction opens;
- `http`: what every import route does with the request: charset, header,
  job, run, the error CSV; `queue_or_run_import` for a route that may answer
  202, and `job_list` for its list of jobs;
- `queue`: an import answered 202: its body spooled, its job queued in the
  service's database, claimed by one worker under a lease, run to the end;
- `progress`: bytes read of the total, rows done and failed, a percentage.
"""
