"""Which service may call which: on a caller's behalf, and as itself.

On a caller's behalf (`PEER_CALLS`): a service exchanges the internal token it
received for one addressed to a peer (`/internal/token-exchange`); the peer
then applies the caller's own permissions.

As itself (`SERVICE_OPERATIONS`): a service's jobs sign in as its account
`svc.<service>` (kind service) and call the public path like any client. Such
a request needs both a permission its roles grant and an entry here: the
operations (method, route template in gateway/route_policy.py) each service's
jobs call. An operation not listed is refused whatever the roles grant, and a
service account with no entry (the gateway's own included) reaches nothing.
The other way round, `SERVICE_ONLY_OPERATIONS` are refused to every account
that is not a service's own, whatever its roles grant.
"""

from services.common.service_identity import service_of_account

PEER_CALLS: dict[str, frozenset[str]] = {
    "training": frozenset({"speakers", "directory"}),
    "certs": frozenset({"training", "directory"}),
    "attendance": frozenset({"directory"}),
    "speakers": frozenset({"directory"}),
    "directory": frozenset(),
}

SERVICE_OPERATIONS: dict[str, frozenset[tuple[str, str]]] = {
    # training.sync-rosters: every agency, then each one's persons in service;
    # a queued learning-record import: its rows' persons, for its importer.
    "training": frozenset(
        {
            ("GET", "/api/directory/agencies"),
            ("GET", "/api/directory/agencies/{code}/roster"),
            ("POST", "/api/directory/persons/import-matches"),
        }
    ),
    # The certs nightly pull: every person's AI hours changed since its last run;
    # and one person's, live, for that person's readiness view.
    "certs": frozenset(
        {
            ("GET", "/api/training/ai-hours"),
            ("GET", "/api/training/ai-hours/persons/{person_id}"),
        }
    ),
}


# Operations no account but a service's own may call, whatever its roles grant:
# a service acting for another account (an importer) within that account's reach.
SERVICE_ONLY_OPERATIONS: frozenset[tuple[str, str]] = frozenset(
    {("POST", "/api/directory/persons/import-matches")}
)


def service_only(method: str, template: str) -> bool:
    """Whether only service accounts may call this operation."""
    return (method, template) in SERVICE_ONLY_OPERATIONS


def service_may_call(account: str, method: str, template: str) -> bool:
    """Whether the service account `account` may call this operation as itself."""
    service = service_of_account(account)
    if service is None:
        return False
    return (method, template) in SERVICE_OPERATIONS.get(service, frozenset())
