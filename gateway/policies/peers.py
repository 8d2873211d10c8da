"""Which service may call which on a caller's behalf (token exchange)."""

PEER_CALLS: dict[str, frozenset[str]] = {
    "training": frozenset({"speakers", "directory"}),
    "certs": frozenset({"training", "directory"}),
    "attendance": frozenset({"directory"}),
    "speakers": frozenset({"directory"}),
    "directory": frozenset(),
}
