"""Routers of the speakers service: HTTP in, schemas out; the work is in `service/`."""
