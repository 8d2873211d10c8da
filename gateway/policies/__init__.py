"""Policies the gateway holds itself: which service may call which peer
(`peers.py`). Which permission each public operation needs is declared by the
services on their routes; see `gateway.route_policy`."""
