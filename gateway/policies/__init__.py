"""Route policy per service: (method, public path template) → permission family.

Each module defines ROUTES; gateway.route_policy merges them.
"""
