"""Lecturer directory service: The shared lecturer directory: lecturers, engagement records,
authorised searchers and quotas.
"""
