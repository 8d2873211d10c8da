"""Routers of the speakers service."""
