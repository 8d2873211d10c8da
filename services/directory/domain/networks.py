"""Source-network allow-lists of accounts (WebITR rules: restrict source IPs, never any IP)."""

from __future__ import annotations

import ipaddress


class InvalidNetwork(ValueError):
    pass


def normalise_network(text: str) -> str:
    """The canonical CIDR form; refuses host bits, garbage and 'any address'."""
    try:
        network = ipaddress.ip_network(text.strip(), strict=True)
    except ValueError:
        raise InvalidNetwork(
            "not a CIDR network (e.g. 10.1.2.0/24, with no host bits set)"
        ) from None
    if network.prefixlen == 0:
        raise InvalidNetwork("allowing every address (/0) is forbidden")
    return str(network)
