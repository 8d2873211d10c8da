"""The production kustomization, rendered by kubectl and every document
validated against the Kubernetes schemas (kubernetes-validate, offline); then
what it must hold: every process with its probes, resources, autoscaler and
disruption budget; a migration Job per database; a CronJob for every job;
Secrets only as templates; the network rules."""

from __future__ import annotations

import copy
import re
from typing import Any

import kubernetes_validate
import pytest
import yaml

from gateway.endpoints.health import OWN_CHECK_TIMEOUT
from gateway.settings import SERVICES
from renshi import manifests
from renshi.jobs import registry, schedules
from tests.deploy.kube import (
    K8S,
    KUBERNETES_VERSION,
    PRODUCTION,
    ROOT,
    admits,
    allows,
    containers,
    kustomize,
    named,
    of_kind,
    pod_labels,
    pod_spec,
    workloads,
)
from tests.deploy.settings_names import assert_known_setting, setting_fields

PROCESSES = ("gateway", *SERVICES)
DATABASES = (*SERVICES, "gateway")


@pytest.fixture(scope="module")
def docs() -> list[dict[str, Any]]:
    return kustomize(PRODUCTION)


@pytest.fixture(scope="module")
def templates() -> list[dict[str, Any]]:
    path = K8S / "secrets" / "secrets.template.yaml"
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def test_the_base_files_are_what_the_generator_writes():
    for path, text in manifests.rendered().items():
        assert path.exists(), f"{path.relative_to(ROOT)} missing: uv run python -m renshi.manifests"
        assert path.read_text() == text, f"{path.relative_to(ROOT)} differs: rerun the generator"


def test_the_base_renders_on_its_own_too():
    assert of_kind(kustomize(K8S / "base"), "Deployment")


def test_every_rendered_document_and_template_is_valid(docs, templates):
    for doc in [*docs, *templates]:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_the_validation_refuses_what_kubernetes_would(docs):
    broken = copy.deepcopy(named(docs, "Deployment", "renshi-gateway"))
    pod_spec(broken)["containers"][0]["readinessProbe"]["timeoutSecond"] = 3
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)
    missing = copy.deepcopy(named(docs, "Service", "renshi-training"))
    missing["spec"]["ports"][0]["port"] = "eight thousand"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(missing, KUBERNETES_VERSION, strict=True)


def test_everything_is_in_one_namespace_and_on_one_released_image(docs):
    for doc in docs:
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == "renshi", doc["metadata"]["name"]
    images = {c["image"] for _d, c in containers(docs) if "renshi" in c["image"]}
    assert images == {"registry.example/renshi:0.1.0"}


# ------------------------------------------------------------ processes


@pytest.mark.parametrize("name", PROCESSES)
def test_a_deployment_service_autoscaler_and_budget_per_process(docs, name):
    deployment = named(docs, "Deployment", f"renshi-{name}")
    match = deployment["spec"]["selector"]["matchLabels"]
    assert pod_labels(deployment).items() >= match.items()
    service = named(docs, "Service", f"renshi-{name}")
    assert service["spec"]["selector"] == match
    hpa = named(docs, "HorizontalPodAutoscaler", f"renshi-{name}")
    assert hpa["spec"]["scaleTargetRef"]["name"] == f"renshi-{name}"
    assert 2 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
    pdb = named(docs, "PodDisruptionBudget", f"renshi-{name}")
    assert pdb["spec"]["selector"]["matchLabels"] == match
    # Two replicas at least, so the budget leaves one serving during a drain.
    assert pdb["spec"]["minAvailable"] < hpa["spec"]["minReplicas"]
    (container,) = pod_spec(deployment)["containers"]
    assert container["args"][0] == name
    assert container["ports"] == [{"name": "http", "containerPort": 8000}]


@pytest.mark.parametrize("name", PROCESSES)
def test_probes_ask_readyz_and_healthz_with_timeouts_they_meet(docs, name):
    (container,) = pod_spec(named(docs, "Deployment", f"renshi-{name}"))["containers"]
    ready, live = container["readinessProbe"], container["livenessProbe"]
    assert ready["httpGet"] == {"path": "/readyz", "port": "http"}
    assert live["httpGet"] == {"path": "/healthz", "port": "http"}
    # The gateway's /readyz answers within OWN_CHECK_TIMEOUT whatever hangs.
    assert ready["timeoutSeconds"] > OWN_CHECK_TIMEOUT
    assert ready["periodSeconds"] > ready["timeoutSeconds"]
    assert live["periodSeconds"] > live["timeoutSeconds"]
    # Liveness gives up later than readiness: a slow pod leaves rotation
    # before it is restarted.
    assert live["failureThreshold"] * live["periodSeconds"] >= (
        ready["failureThreshold"] * ready["periodSeconds"]
    )
    startup = container["startupProbe"]
    assert startup["failureThreshold"] * startup["periodSeconds"] >= 60


def _cpu(text: str) -> float:
    return float(text[:-1]) / 1000 if text.endswith("m") else float(text)


def _mebibytes(text: str) -> int:
    units = {"Mi": 1, "Gi": 1024}
    return int(text[:-2]) * units[text[-2:]]


def test_the_gateway_runs_two_workers_and_is_sized_for_them(docs):
    (gateway,) = pod_spec(named(docs, "Deployment", "renshi-gateway"))["containers"]
    assert gateway["args"] == ["gateway", "--workers", "2"]
    (one,) = pod_spec(named(docs, "Deployment", "renshi-training"))["containers"]
    for kind in ("requests", "limits"):
        assert _cpu(gateway["resources"][kind]["cpu"]) >= 2 * _cpu(one["resources"][kind]["cpu"])
        assert _mebibytes(gateway["resources"][kind]["memory"]) >= 2 * _mebibytes(
            one["resources"][kind]["memory"]
        )


def test_every_container_has_requests_limits_and_a_read_only_root(docs):
    for doc, container in containers(docs):
        where = f"{doc['kind']} {doc['metadata']['name']}"
        resources = container["resources"]
        assert {"cpu", "memory"} <= set(resources["requests"]), where
        assert "memory" in resources["limits"], where
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True, where
        assert security["allowPrivilegeEscalation"] is False, where
        assert security["capabilities"]["drop"] == ["ALL"], where
        pod = pod_spec(doc)["securityContext"]
        assert pod["runAsNonRoot"] is True, where
        if container["image"].startswith("registry.example/renshi"):
            # The image's own user (deploy/Dockerfile: USER 10001:10001).
            assert pod["runAsUser"] == 10001, where


def test_servers_write_only_to_mounted_volumes(docs):
    for name in PROCESSES:
        spec = pod_spec(named(docs, "Deployment", f"renshi-{name}"))
        mounts = {m["mountPath"] for m in spec["containers"][0]["volumeMounts"]}
        assert {"/var/lib/renshi", "/tmp"} <= mounts, name  # noqa: S108 - the image's volume


def test_replicas_share_the_import_spool_and_the_evidence(docs):
    for name in SERVICES:
        spec = pod_spec(named(docs, "Deployment", f"renshi-{name}"))
        claims = {
            v["persistentVolumeClaim"]["claimName"]
            for v in spec["volumes"]
            if "persistentVolumeClaim" in v
        }
        assert f"renshi-{name}-spool" in claims
        for claim in claims:
            pvc = named(docs, "PersistentVolumeClaim", claim)
            assert pvc["spec"]["accessModes"] == ["ReadWriteMany"]
            assert pvc["spec"]["storageClassName"]
    certs = pod_spec(named(docs, "Deployment", "renshi-certs"))["containers"][0]
    assert "/var/lib/renshi/certs-evidence" in {m["mountPath"] for m in certs["volumeMounts"]}


@pytest.mark.parametrize("database", DATABASES)
def test_a_migration_job_per_database(docs, database):
    job = named(docs, "Job", f"renshi-{database}-migrate")
    (container,) = pod_spec(job)["containers"]
    assert container["args"] == ["migrate", database]
    secrets = [e["secretRef"]["name"] for e in container["envFrom"] if "secretRef" in e]
    assert secrets == [f"renshi-{database}"]
    assert pod_spec(job)["restartPolicy"] == "Never"


def test_no_other_migration_job(docs):
    jobs = {d["metadata"]["name"] for d in of_kind(docs, "Job")}
    assert jobs == {f"renshi-{d}-migrate" for d in DATABASES}


# ------------------------------------------------------------ jobs


def test_a_cronjob_for_every_job_and_a_job_for_every_cronjob(docs):
    cronjobs: dict[str, str] = {}
    for doc in of_kind(docs, "CronJob"):
        (container,) = pod_spec(doc)["containers"]
        renshi, jobs, run, name = container["command"]
        assert (renshi, jobs, run) == ("renshi", "jobs", "run")
        assert name not in cronjobs, f"two CronJobs run {name}"
        cronjobs[name] = doc["spec"]["schedule"]
        assert doc["spec"]["timeZone"] == "Asia/Taipei"
        # The network rules know its pods as the service's jobs.
        assert pod_labels(doc)["app.kubernetes.io/component"] == f"{name.split('.')[0]}-jobs"
    assert sorted(cronjobs) == sorted(registry())
    assert cronjobs == {name: cron.expression for name, cron in schedules().items()}


# ------------------------------------------------------------ secrets


def test_no_secret_value_is_rendered_and_the_templates_hold_none(docs, templates):
    assert of_kind(docs, "Secret") == []
    for template in templates:
        assert template["kind"] == "Secret"
        assert "data" not in template
        assert set(template["stringData"].values()) == {""}, template["metadata"]["name"]
        assert template["metadata"]["annotations"]["renshi.example/fill-in"]


def _secret_uses(docs):
    """(secret name, key or None for every key) each workload reads."""
    for _doc, container in containers(docs):
        for source in container.get("envFrom", []):
            if "secretRef" in source:
                yield source["secretRef"]["name"], None
        for env in container.get("env", []):
            ref = env.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                yield ref["name"], ref["key"]
    for doc in workloads(docs):
        for volume in pod_spec(doc).get("volumes", []):
            if "secret" in volume:
                yield volume["secret"]["secretName"], None


def test_every_secret_the_manifests_read_has_a_template(docs, templates):
    keys = {t["metadata"]["name"]: set(t["stringData"]) for t in templates}
    used = set()
    for name, key in _secret_uses(docs):
        assert name in keys, f"no template for Secret {name}"
        assert key is None or key in keys[name], f"{name} has no key {key}"
        used.add(name)
    assert used == set(keys), "a template no manifest reads"
    for svc in SERVICES:
        assert f"{svc.upper()}_DATABASE_URL" in keys[f"renshi-{svc}"]
    assert {
        "GATEWAY_DATABASE_URL",
        "GATEWAY_INTERNAL_PRIVATE_KEY",
        "GATEWAY_ISSUER_PRIVATE_KEY",
    } <= (keys["renshi-gateway"])


# ------------------------------------------------------------ settings names


def test_every_variable_set_is_a_setting_of_its_process(docs, templates):
    fields = setting_fields()
    config = named(docs, "ConfigMap", "renshi-config")["data"]
    names = set(config)
    for _doc, container in containers(docs):
        names |= {e["name"] for e in container.get("env", [])}
    for template in templates:
        names |= {k for k in template["stringData"] if k.isupper()}
    for name in names:
        assert_known_setting(name, fields)


def test_the_configuration_points_each_process_at_the_others(docs):
    import json

    config = named(docs, "ConfigMap", "renshi-config")["data"]
    urls = json.loads(config["GATEWAY_SERVICE_URLS"])
    assert urls == {svc: f"http://renshi-{svc}:8000" for svc in SERVICES}
    for svc in SERVICES:
        assert config[f"{svc.upper()}_GATEWAY_URL"] == "http://renshi-gateway:8000"
        assert config[f"{svc.upper()}_ENVIRONMENT"] == "production"
    assert config["GATEWAY_RATE_LIMIT_STORAGE"].startswith("redis://renshi-redis:")
    named(docs, "Service", "renshi-redis")


# ------------------------------------------------------------ network rules


def _component(name: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": "renshi", "app.kubernetes.io/component": name}


def _database(name: str) -> dict[str, str]:
    return {"renshi.example/database": name}


def _all_pods(docs) -> dict[str, dict[str, str]]:
    pods = {pod_labels(d)["app.kubernetes.io/component"]: pod_labels(d) for d in workloads(docs)}
    pods["outsider"] = {"app": "something-else"}
    return pods


def _peers_in_code() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for svc in SERVICES:
        path = ROOT / "services" / svc / "clients.py"
        if path.exists():
            called = set(re.findall(r'self\.client\("(\w+)"\)', path.read_text()))
            if called:
                found[svc] = called
    return found


def test_the_manifests_know_the_peers_the_code_calls():
    assert _peers_in_code() == {svc: set(p) for svc, p in manifests.PEERS.items()}


def test_only_the_gateway_and_calling_peers_reach_a_service(docs):
    policies = of_kind(docs, "NetworkPolicy")
    pods = _all_pods(docs)
    for svc in SERVICES:
        callers = {
            name
            for name, labels in pods.items()
            if allows(policies, labels, pods[svc], 8000) and name != svc
        }
        expected = {"gateway"} | {c for c, peers in manifests.PEERS.items() if svc in peers}
        assert callers == expected, svc


def test_only_each_service_reaches_its_database(docs):
    policies = of_kind(docs, "NetworkPolicy")
    pods = _all_pods(docs)
    for database in DATABASES:
        reach = {
            name
            for name, labels in pods.items()
            if allows(policies, labels, _database(database), 5432)
        }
        expected = {database, f"{database}-migrate"} | (
            {f"{database}-jobs"} if f"{database}-jobs" in pods else set()
        )
        assert reach == expected, database


def test_only_the_gateway_reaches_redis_and_nothing_else_is_open(docs):
    policies = of_kind(docs, "NetworkPolicy")
    pods = _all_pods(docs)
    assert {n for n, p in pods.items() if allows(policies, p, pods["redis"], 6379)} == {"gateway"}
    # Denied by default: a pod no rule names reaches nothing, nor is reached.
    assert not allows(policies, pods["outsider"], pods["training"], 8000)
    assert not allows(policies, pods["directory"], pods["training"], 8000)
    assert not allows(policies, pods["training-jobs"], _database("directory"), 5432)
    # Clients reach the gateway from outside (its own allow-list decides who),
    # and nothing else.
    client = {"app.kubernetes.io/name": "ingress-nginx"}
    assert admits(policies, pods["gateway"], client, 8000)
    for name in (*SERVICES, "redis"):
        assert not admits(policies, pods[name], client, 8000), name
