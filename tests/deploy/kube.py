"""Reading rendered Kubernetes documents in tests: the kustomization rendered by
kubectl, pod templates, and which pods a set of NetworkPolicies lets talk."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
PRODUCTION = K8S / "overlays" / "production"
# The Kubernetes version every document is validated against (kubernetes-validate
# bundles its schemas: no cluster, no network).
KUBERNETES_VERSION = "1.32.0"

Doc = dict[str, Any]


def kustomize(directory: Path) -> list[Doc]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("kubectl is needed to render the kustomization (CI has it)")
        pytest.skip("kubectl (its built-in kustomize) is not installed here")
    done = subprocess.run(
        [kubectl, "kustomize", str(directory)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def of_kind(docs: list[Doc], kind: str) -> list[Doc]:
    return [d for d in docs if d["kind"] == kind]


def named(docs: list[Doc], kind: str, name: str) -> Doc:
    (found,) = [d for d in of_kind(docs, kind) if d["metadata"]["name"] == name]
    return found


def pod_spec(doc: Doc) -> Doc:
    if doc["kind"] == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return doc["spec"]["template"]["spec"]


def pod_labels(doc: Doc) -> dict[str, str]:
    if doc["kind"] == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]
    return doc["spec"]["template"]["metadata"]["labels"]


WORKLOADS = ("Deployment", "Job", "CronJob")


def workloads(docs: list[Doc]) -> Iterator[Doc]:
    return (d for d in docs if d["kind"] in WORKLOADS)


def containers(docs: list[Doc]) -> Iterator[tuple[Doc, Doc]]:
    for doc in workloads(docs):
        for container in pod_spec(doc)["containers"]:
            yield doc, container


# ------------------------------------------------------------ network rules


def selects(selector: Doc, labels: dict[str, str]) -> bool:
    """Whether a label selector (matchLabels, matchExpressions) selects labels."""
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values")
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and labels.get(key) in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def _peer_matches(peer: Doc, labels: dict[str, str]) -> bool:
    # Within the namespace; an ipBlock is taken to match any pod (a cautious
    # reading: some network plugins apply it to pod addresses too).
    if "ipBlock" in peer:
        return True
    if "namespaceSelector" in peer and "podSelector" not in peer:
        return True
    return selects(peer.get("podSelector", {}), labels)


def _port_matches(rule: Doc, port: int) -> bool:
    ports = rule.get("ports")
    return not ports or any(p.get("port") == port for p in ports)


def _direction_allows(
    policies: list[Doc], pod: dict[str, str], other: dict[str, str], port: int, kind: str
) -> bool:
    key, side = ("ingress", "from") if kind == "Ingress" else ("egress", "to")
    governing = [
        p
        for p in policies
        if kind in p["spec"]["policyTypes"] and selects(p["spec"]["podSelector"], pod)
    ]
    if not governing:
        return True  # no policy isolates the pod in that direction
    for policy in governing:
        for rule in policy["spec"].get(key) or []:
            peers = rule.get(side)
            if (peers is None or any(_peer_matches(x, other) for x in peers)) and _port_matches(
                rule, port
            ):
                return True
    return False


def allows(policies: list[Doc], source: dict[str, str], target: dict[str, str], port: int) -> bool:
    """Whether a pod with `source`'s labels may open a connection to one with
    `target`'s on `port`: the source's egress and the target's ingress."""
    return _direction_allows(policies, source, target, port, "Egress") and _direction_allows(
        policies, target, source, port, "Ingress"
    )


def admits(policies: list[Doc], target: dict[str, str], source: dict[str, str], port: int) -> bool:
    """Whether `target`'s ingress rules let in a connection from outside the
    namespace (the ingress controller's), whose egress these rules do not govern."""
    return _direction_allows(policies, target, source, port, "Ingress")
