"""AI certificates and talent service: AI certificate catalogue, verified certificates, AI talent
roles and search.
"""
