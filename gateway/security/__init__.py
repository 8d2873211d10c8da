"""Pure request checks of the gateway: paths and routes, client addresses,
allow-lists, identity headers, JWT pre-checks and the verified-token cache.

Nothing here does I/O; the ASGI gateway composes these checks.
"""
