"""Training records service: Learning hours, yearly compliance with the AI-literacy minimum, agency
completion rates.
"""
