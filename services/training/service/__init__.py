"""Use cases of the training service, one module per aggregate or use case: what
a request or a job does, between the routers (HTTP) and the stores (SQL), with
the pure rules of `domain/` applied."""
