"""Schemathesis against the merged OpenAPI document, through the gateway of the
whole system under `renshi up`, with a token for every role of the directory's
catalogue.

Every operation gets positive cases (valid by its schema) and negative ones
(schema-violating), a deterministic, bounded number of each (`derandomize`, so
a run is the same every time): no 5xx, every answer's status, content type and
body match what the operation declares, and a negative case is refused with a
4xx. A second pass sends every operation that requires authentication without
a token, with a malformed one and with one signed by a key the gateway does not
know: 401 problem+json every time. Failures are gathered over all operations
and reported together, so that one run names every bug found."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from gateway.issuer import issue_token
from gateway.keys import generate
from services.common.service_identity import service_account
from services.directory.roles import CATALOGUE, SERVICE_ROLE_PREFIX
from tests.fuzz.system import System, create_account, running_system

# Cases per operation and mode: 172 operations, about 2,300 requests in all,
# which keeps the test near a minute of fuzzing on a loaded two-core machine.
POSITIVE_EXAMPLES = 8
NEGATIVE_EXAMPLES = 6
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
UNLIMITED = "1000000/minute"  # the fuzzer is one address and a few accounts


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    with running_system(
        tmp_path_factory.mktemp("fuzz"),
        GATEWAY_RATE_LIMIT_PER_IP=UNLIMITED,
        GATEWAY_RATE_LIMIT_PER_PRINCIPAL=UNLIMITED,
    ) as running:
        yield running


def _account_for(role: str, kind: str) -> str:
    if kind == "service":
        if role.startswith(SERVICE_ROLE_PREFIX):
            return service_account(role.removeprefix(SERVICE_ROLE_PREFIX))
        return "gateway"
    return f"fuzz.{role}"


@pytest.fixture(scope="module")
def tokens(system: System) -> dict[str, str]:
    """role → a token of an account holding that role alone (the demo service
    accounts for the service roles), each human one bound to an A01 officer's
    person with its subordinate agencies."""
    admin = system.token("admin")
    made: dict[str, str] = {}
    for role in CATALOGUE:
        name = _account_for(role.name, role.kind)
        if role.kind != "service":
            create_account(
                system,
                admin,
                name=name,
                kind=role.kind,
                person_id="P0002",
                agency_code="A01",
                include_subordinates=True,
                roles=[role.name],
                **(
                    {"purpose": "API fuzzing", "allowed_networks": ["127.0.0.1/32"]}
                    if role.kind == "machine"
                    else {}
                ),
            )
        made[role.name] = system.token(name)
    return made


@pytest.fixture(scope="module")
def schema(system: System) -> Any:
    document = httpx.get(f"{system.base}/openapi.json", timeout=30).json()
    return schemathesis.openapi.from_dict(document)


def _operations(schema: Any) -> list[Any]:
    return [result.ok() for result in schema.get_all_operations()]


def _needs_a_token(operation: Any) -> bool:
    return bool(operation.definition.raw.get("security"))


def _has_inputs(operation: Any) -> bool:
    raw = operation.definition.raw
    return bool(raw.get("parameters") or raw.get("requestBody"))


def _settings(examples: int) -> Any:
    return settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )


def _fuzz(
    operation: Any, mode: GenerationMode, examples: int, base: str, tokens: dict[str, str]
) -> list[str]:
    failures: list[str] = []
    checks = [*CHECKS, negative_data_rejection] if mode is GenerationMode.NEGATIVE else CHECKS
    roles = sorted(tokens)

    @_settings(examples)
    @given(case=operation.as_strategy(generation_mode=mode), role=st.sampled_from(roles))
    def run(case: Any, role: str) -> None:
        headers = {"Authorization": f"Bearer {tokens[role]}"}
        response = case.call(base_url=base, headers=headers, timeout=60)
        try:
            case.validate_response(response, checks=checks, headers=headers)
        except Exception as failure:
            failures.append(
                f"{operation.label} [{mode.value}, {role}] {response.status_code}: "
                f"{str(failure)[:1500]}"
            )

    try:
        run()
    except Exception as failure:  # a failure hypothesis re-raised: kept with the others
        failures.append(f"{operation.label} [{mode.value}] {str(failure)[:1500]}")
    return failures


@pytest.mark.slow
def test_every_operation_as_every_role_positive_and_negative(
    system: System, schema: Any, tokens: dict[str, str]
) -> None:
    failures: list[str] = []
    operations = _operations(schema)
    assert len(operations) > 150, "the merged document lost its operations"
    for operation in operations:
        failures += _fuzz(
            operation, GenerationMode.POSITIVE, POSITIVE_EXAMPLES, system.base, tokens
        )
        # An operation with no parameter and no body has nothing to violate.
        if _has_inputs(operation):
            failures += _fuzz(
                operation, GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES, system.base, tokens
            )
    assert not failures, f"{len(failures)} failures:\n" + "\n\n".join(failures)


def _refusals_without_a_valid_token(
    operation: Any, base: str, credentials: dict[str, dict[str, str]]
) -> list[str]:
    """What `operation` answered, for one valid case, to each credential that is
    not a valid token, when that was anything but 401 problem+json."""
    wrong: list[str] = []

    @_settings(1)
    @given(case=operation.as_strategy())
    def one_case(case: Any) -> None:
        for label, headers in credentials.items():
            response = case.call(base_url=base, headers=headers, timeout=60)
            kind = ",".join(response.headers.get("content-type", []))
            if response.status_code != 401 or kind != "application/problem+json":
                wrong.append(f"{operation.label} [{label}]: {response.status_code} {kind}")

    one_case()
    return wrong


@pytest.mark.slow
def test_no_operation_answers_without_a_valid_token(system: System, schema: Any) -> None:
    stranger = generate()  # a well-formed token, signed by a key the gateway does not hold
    forged = issue_token(
        stranger, account="admin", issuer="renshi", audience="renshi-api", lifetime=300
    )
    credentials: dict[str, dict[str, str]] = {
        "no token": {},
        "malformed token": {"Authorization": "Bearer not-a-token"},
        "unknown signing key": {"Authorization": f"Bearer {forged}"},
    }
    guarded = [op for op in _operations(schema) if _needs_a_token(op)]
    assert len(guarded) > 150
    wrong: list[str] = []
    for operation in guarded:
        wrong += _refusals_without_a_valid_token(operation, system.base, credentials)
    assert not wrong, "\n".join(wrong)
