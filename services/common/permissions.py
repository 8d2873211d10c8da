"""The one declaration of what an operation needs.

A route states its permission once, as a dependency: `require(family, *scopes)`.
The same declaration does three things:

* the service checks it on every call (the caller holds the family unscoped,
  or narrowed to one of `scopes`, which the service then enforces per object);
* `stamp_permissions(app)` writes the family into the operation's OpenAPI
  entry as `x-renshi-permission`;
* the gateway's default-deny route table, and the role × operation matrix,
  are read from those entries (`gateway/service_documents/`), so no second
  list of operations and permissions exists anywhere.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from services.common.errors import Forbidden
from services.common.internal_auth import PrincipalDep
from services.common.principal import Principal
from services.common.service_identity import service_account

PERMISSION_KEY = "x-renshi-permission"
_ATTRIBUTE = "renshi_permission"
_WHO = "renshi_who_may_call"
_OWN_DESCRIPTION = "renshi_own_description"
# What a scope narrows a grant to, in the words of an operation's description.
SCOPE_REACH = {
    "self": "the caller's own records",
    "unit": "the units the caller supervises",
    "agency": "the caller's agencies (and their subordinates where the account covers them)",
}
READ_METHODS = frozenset({"GET", "HEAD"})

Check = Callable[[Principal], Principal]


def with_scopes(family: str, *scopes: str) -> tuple[str, ...]:
    """`family` unscoped and narrowed to each of `scopes`: what `require` accepts."""
    return (family, *(f"{family}:{scope}" for scope in scopes))


def _declared(check: Check, family: str, name: str, who: str) -> Check:
    check.__name__ = name
    setattr(check, _ATTRIBUTE, family)
    setattr(check, _WHO, who)
    return check


def who_may_call(family: str, *scopes: str) -> str:
    """The sentence an operation's description gives for `require(family, *scopes)`."""
    if not scopes:
        return f"holders of `{family}`, for every object of its kind."
    narrowed = "; ".join(f"`{family}:{scope}` reaches {SCOPE_REACH[scope]}" for scope in scopes)
    return f"holders of `{family}` reach every object of its kind; {narrowed}."


def require(family: str, *scopes: str) -> Check:
    """Dependency: the caller holds `family`, or `family:<scope>` for one of
    `scopes` (`"self"`, `"unit"`, `"agency"`)."""
    accepted = with_scopes(family, *scopes)

    def check(principal: PrincipalDep) -> Principal:
        if not any(principal.has(p) for p in accepted):
            raise Forbidden(f"requires permission {' or '.join(accepted)}")
        return principal

    return _declared(
        check, family, "require_" + family.replace(":", "_"), who_may_call(family, *scopes)
    )


def require_qualified(family: str, qualifier: str) -> Check:
    """Dependency: the caller holds `family:<something>` — a grant bound to one
    value that the operation then checks (an importer's `training:imports:elearn`
    names its source). `qualifier` says what that value is, for the refusal."""
    prefix = family + ":"

    def check(principal: PrincipalDep) -> Principal:
        if not any(p.startswith(prefix) for p in principal.permissions):
            raise Forbidden(f"requires permission {family}:<{qualifier}>")
        return principal

    who = (
        f"holders of `{family}:<{qualifier}>`, a grant bound to one {qualifier}; "
        f"the operation reaches only what that {qualifier} names."
    )
    return _declared(check, family, "require_" + family.replace(":", "_") + "_any", who)


def require_service(family: str, service: str, *, after: Callable[..., Any] | None = None) -> Check:
    """Dependency: the caller is the service `service` itself (its account
    `svc.<service>`, kind service) and holds `family`. For feeds one service
    pulls from another: no person's account, no machine account and no other
    service's account is served, whatever its roles grant.

    `after`, a dependency reading the operation's input, is resolved first; when
    the input is invalid the check does not run, so bad input is a 422 naming the
    field for whoever sends it, as on operations whose callers hold the grant."""
    account = service_account(service)

    def verify(principal: Principal) -> Principal:
        # Every rule the caller breaks is named, not only the first.
        broken = []
        if not principal.has(family):
            broken.append(f"requires permission {family}")
        if principal.kind != "service" or principal.sub != account:
            broken.append(f"only the {service} service's own account {account} may call this")
        if broken:
            raise Forbidden("; ".join(broken))
        return principal

    check: Check
    if after is None:

        def check_plain(principal: PrincipalDep) -> Principal:
            return verify(principal)

        check = check_plain
    else:

        def check_after(principal: Principal, _input: Any) -> Principal:
            return verify(principal)

        # Spelled out: this module's annotations are strings, which FastAPI would
        # look up among its globals, where `after` is not.
        check_after.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [
                inspect.Parameter(
                    "principal", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=PrincipalDep
                ),
                inspect.Parameter(
                    "_input",
                    inspect.Parameter.POSITIONAL_OR_KEYWORD,
                    annotation=Annotated[Any, Depends(after)],
                ),
            ],
            return_annotation=Principal,
        )
        check = cast(Check, check_after)

    who = (
        f"the {service} service's own account `{account}` holding `{family}`; "
        "no other account, whatever its roles."
    )
    return _declared(check, family, "require_" + family.replace(":", "_") + "_service", who)


def _calls(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def declared_permission(route: APIRoute) -> str | None:
    """The family a route's dependencies declare; more than one is a mistake."""
    families = {f for f in (getattr(c, _ATTRIBUTE, None) for c in _calls(route.dependant)) if f}
    if len(families) > 1:
        names = ", ".join(sorted(families))
        raise ValueError(f"{route.path}: more than one permission declared: {names}")
    return next(iter(families), None)


def _who(route: APIRoute) -> str:
    sentences = {w for w in (getattr(c, _WHO, None) for c in _calls(route.dependant)) if w}
    return next(iter(sentences), "")


def describe(route: APIRoute) -> str:
    """An operation's description: its own words (the endpoint's docstring),
    then who may call it and what it changes, so that no operation of the
    published document leaves a client guessing either."""
    # Kept on the route: an app built twice from one router must not describe twice.
    if not hasattr(route, _OWN_DESCRIPTION):
        setattr(route, _OWN_DESCRIPTION, (route.description or "").strip())
    own: str = getattr(route, _OWN_DESCRIPTION)
    if (route.methods or set()) <= READ_METHODS:
        changes = "nothing; it only reads."
    else:
        changes = route.summary or own.split("\n\n", 1)[0] or route.name
        changes = changes if changes.endswith(".") else changes + "."
    parts = [own] if own else []
    parts.append(f"**Who may call it:** {_who(route)}")
    parts.append(f"**What it changes:** {changes}")
    return "\n\n".join(parts)


def stamp_permissions(router: APIRouter) -> None:
    """Write each route's declared family into its OpenAPI operation, and who may
    call it and what it changes into its description, before the router is
    included (the app copies routes as it includes them). A public route without
    a declaration refuses to build: the gateway would deny it, so it is a
    mistake, not a choice."""
    for route in router.routes:
        if not isinstance(route, APIRoute):
            continue
        family = declared_permission(route)
        if family is None:
            if route.include_in_schema and router.include_in_schema:
                methods = ", ".join(sorted(route.methods or ()))
                raise ValueError(f"{methods} {route.path}: no permission declared")
            continue
        route.openapi_extra = {**(route.openapi_extra or {}), PERMISSION_KEY: family}
        if route.include_in_schema:
            route.description = describe(route)
