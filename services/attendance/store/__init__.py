"""Queries of the attendance database, one module per aggregate. Stores never commit."""
