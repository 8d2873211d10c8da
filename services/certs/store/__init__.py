"""Queries of the certs database, one module per aggregate; they never commit."""
