"""Queries of the training database, one module per aggregate; none commits."""
