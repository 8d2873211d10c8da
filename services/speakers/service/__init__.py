"""Use cases of the speakers service, one module per aggregate: what a request
does, between the routers (HTTP) and the stores (SQL)."""
