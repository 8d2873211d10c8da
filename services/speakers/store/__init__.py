"""Queries of the speakers database, one module per aggregate; callers commit
(the request session does)."""
