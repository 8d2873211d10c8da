"""Queries of the directory database, one module per aggregate. Nothing here commits."""
