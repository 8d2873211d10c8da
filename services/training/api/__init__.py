"""Routers of the training service: HTTP in, schemas out."""
