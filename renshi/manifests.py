"""The Kubernetes base (`deploy/k8s/base/`) and the Secret templates
(`deploy/k8s/secrets/`), written from one description of the processes.

Six near-identical Deployments, their Services, autoscalers, disruption
budgets, migration Jobs and network rules are made here rather than kept by
hand, so that they cannot drift apart; the CronJobs beside them are kept by
hand (their schedules and deadlines differ job by job). Rewrite with

    uv run python -m renshi.manifests

and tests/deploy/test_kubernetes.py fails while the files differ from what
this writes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gateway.settings import SERVICES

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "deploy" / "k8s" / "base"
SECRETS = ROOT / "deploy" / "k8s" / "secrets"

IMAGE = "registry.example/renshi:latest"
PORT = 8000
UID = 10001
VAR_DIR = "/var/lib/renshi"
PUBLIC_KEY_DIR = "/etc/renshi/internal-key"
SECRET_MOUNTS = "/var/run/secrets/renshi"  # noqa: S105 - a directory, not a secret
GATEWAY_WORKERS = 2
REDIS_PORT = 6379
DATABASE_PORT = 5432

# Which service calls which directly (services/<svc>/clients.py: a token
# exchanged at the gateway, then the peer itself); the network rules let
# exactly these through besides the gateway.
PEERS: dict[str, tuple[str, ...]] = {
    "attendance": ("directory",),
    "certs": ("directory",),
    "training": ("directory", "speakers"),
}
# The services whose jobs sign in at the gateway as their own account
# (`svc.<service>`) with a mounted client secret.
OWN_ACCOUNTS = ("training", "certs")
# The services that deliver notices (webhook over HTTPS, mail over SMTP).
NOTIFYING = ("attendance", "certs", "speakers")
# Secret keys per process besides the database URL (every value is filled in
# by the operator; see README "Deploying").
SECRET_KEYS: dict[str, tuple[str, ...]] = {
    "gateway": ("GATEWAY_INTERNAL_PRIVATE_KEY", "GATEWAY_ISSUER_PRIVATE_KEY"),
    "directory": ("DIRECTORY_NATIONAL_ID_KEY",),
    **{svc: (f"{svc.upper()}_SMTP_PASSWORD",) for svc in NOTIFYING},
}

# One process of a service: a Python interpreter with its app, SQLAlchemy
# pool and import worker; measured idle at ~180 MiB, a large import adds its
# batch. The gateway runs GATEWAY_WORKERS such processes.
SERVICE_RESOURCES = {
    "requests": {"cpu": "250m", "memory": "384Mi"},
    "limits": {"cpu": "1", "memory": "768Mi"},
}
GATEWAY_RESOURCES = {
    "requests": {"cpu": f"{250 * GATEWAY_WORKERS}m", "memory": f"{384 * GATEWAY_WORKERS}Mi"},
    "limits": {"cpu": str(GATEWAY_WORKERS), "memory": f"{768 * GATEWAY_WORKERS}Mi"},
}
JOB_RESOURCES = {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "1Gi"}}

# Probe timing. The gateway's /readyz answers within its own bound (1 s,
# gateway/endpoints/health.py) and a service's within its database's; both get
# 3 s. /healthz does no I/O. The start-up probe gives a slow node 60 s to
# import and start before liveness counts.
READINESS = {"periodSeconds": 10, "timeoutSeconds": 3, "failureThreshold": 3}
LIVENESS = {"periodSeconds": 10, "timeoutSeconds": 2, "failureThreshold": 3}
STARTUP = {"periodSeconds": 2, "timeoutSeconds": 2, "failureThreshold": 30}


def labels(component: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": "renshi",
        "app.kubernetes.io/part-of": "renshi",
        "app.kubernetes.io/component": component,
    }


def selector(component: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": "renshi", "app.kubernetes.io/component": component}


def metadata(name: str, component: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "labels": labels(component), **extra}


def _pod_security() -> dict[str, Any]:
    return {
        "runAsNonRoot": True,
        "runAsUser": UID,
        "runAsGroup": UID,
        "fsGroup": UID,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def _container_security() -> dict[str, Any]:
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }


def _scratch_volumes() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The image's two writable places, as the read-only root leaves them."""
    volumes = [{"name": "var", "emptyDir": {}}, {"name": "tmp", "emptyDir": {}}]
    mounts = [{"name": "var", "mountPath": VAR_DIR}, {"name": "tmp", "mountPath": "/tmp"}]  # noqa: S108 - the image's declared scratch volume
    return volumes, mounts


def _service_volumes(service: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    volumes, mounts = _scratch_volumes()
    volumes.append({"name": "internal-key", "secret": {"secretName": "renshi-internal-public-key"}})
    mounts.append({"name": "internal-key", "mountPath": PUBLIC_KEY_DIR, "readOnly": True})
    # Replicas share the spool: a queued import's body is read by whichever
    # replica's worker claims the job.
    volumes.append(
        {"name": "import-spool", "persistentVolumeClaim": {"claimName": f"renshi-{service}-spool"}}
    )
    mounts.append({"name": "import-spool", "mountPath": f"{VAR_DIR}/{service}/import-spool"})
    if service == "certs":
        volumes.append(
            {"name": "evidence", "persistentVolumeClaim": {"claimName": "renshi-certs-evidence"}}
        )
        mounts.append({"name": "evidence", "mountPath": f"{VAR_DIR}/certs-evidence"})
    if service in OWN_ACCOUNTS:
        volumes.append(
            {
                "name": "client-secret",
                "secret": {"secretName": f"renshi-svc-{service}", "defaultMode": 0o400},
            }
        )
        mounts.append(
            {
                "name": "client-secret",
                "mountPath": f"{SECRET_MOUNTS}/svc.{service}",
                "readOnly": True,
            }
        )
    return volumes, mounts


def _probe(path: str, timing: dict[str, int]) -> dict[str, Any]:
    return {"httpGet": {"path": path, "port": "http"}, **timing}


def deployment(name: str) -> dict[str, Any]:
    gateway = name == "gateway"
    args = ["gateway", "--workers", str(GATEWAY_WORKERS)] if gateway else [name]
    volumes, mounts = _scratch_volumes() if gateway else _service_volumes(name)
    container: dict[str, Any] = {
        "name": name,
        "image": IMAGE,
        "args": args,
        "ports": [{"name": "http", "containerPort": PORT}],
        "envFrom": [
            {"configMapRef": {"name": "renshi-config"}},
            {"secretRef": {"name": f"renshi-{name}"}},
        ],
        "readinessProbe": _probe("/readyz", READINESS),
        "livenessProbe": _probe("/healthz", LIVENESS),
        "startupProbe": _probe("/healthz", STARTUP),
        "resources": GATEWAY_RESOURCES if gateway else SERVICE_RESOURCES,
        "securityContext": _container_security(),
        "volumeMounts": mounts,
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata(f"renshi-{name}", name),
        "spec": {
            "replicas": 2,
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": selector(name)},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1},
            },
            "template": {
                "metadata": {"labels": labels(name)},
                "spec": {
                    "securityContext": _pod_security(),
                    "automountServiceAccountToken": False,
                    # uvicorn stops within 5 s of SIGTERM (timeout_graceful_shutdown);
                    # the gateway's last audit and usage flush follow.
                    "terminationGracePeriodSeconds": 30,
                    "topologySpreadConstraints": [
                        {
                            "maxSkew": 1,
                            "topologyKey": "kubernetes.io/hostname",
                            "whenUnsatisfiable": "ScheduleAnyway",
                            "labelSelector": {"matchLabels": selector(name)},
                        }
                    ],
                    "containers": [container],
                    "volumes": volumes,
                },
            },
        },
    }


def service(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(f"renshi-{name}", name),
        "spec": {
            "selector": selector(name),
            "ports": [{"name": "http", "port": PORT, "targetPort": "http"}],
        },
    }


def autoscaler(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": metadata(f"renshi-{name}", name),
        "spec": {
            "scaleTargetRef": {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "name": f"renshi-{name}",
            },
            "minReplicas": 2,
            "maxReplicas": 10 if name == "gateway" else 6,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": 70},
                    },
                }
            ],
            # Down slowly: a burst of imports is often followed by another.
            "behavior": {"scaleDown": {"stabilizationWindowSeconds": 300}},
        },
    }


def disruption_budget(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": metadata(f"renshi-{name}", name),
        "spec": {"minAvailable": 1, "selector": {"matchLabels": selector(name)}},
    }


def volume_claim(name: str, component: str, size: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": metadata(name, component),
        # Every replica mounts it: a class that offers ReadWriteMany (NFS, CephFS,
        # a cloud file store); the overlay names it.
        "spec": {"accessModes": ["ReadWriteMany"], "resources": {"requests": {"storage": size}}},
    }


def migration_job(name: str) -> dict[str, Any]:
    volumes, mounts = _scratch_volumes()
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": metadata(f"renshi-{name}-migrate", f"{name}-migrate"),
        "spec": {
            "backoffLimit": 6,
            "activeDeadlineSeconds": 1800,
            # Gone an hour after it ends, so that the next release's apply
            # creates it afresh (a Job's template cannot be changed).
            "ttlSecondsAfterFinished": 3600,
            "template": {
                "metadata": {"labels": labels(f"{name}-migrate")},
                "spec": {
                    "restartPolicy": "Never",
                    "securityContext": _pod_security(),
                    "automountServiceAccountToken": False,
                    "containers": [
                        {
                            "name": "migrate",
                            "image": IMAGE,
                            "args": ["migrate", name],
                            "envFrom": [
                                {"configMapRef": {"name": "renshi-config"}},
                                {"secretRef": {"name": f"renshi-{name}"}},
                            ],
                            "resources": JOB_RESOURCES,
                            "securityContext": _container_security(),
                            "volumeMounts": mounts,
                        }
                    ],
                    "volumes": volumes,
                },
            },
        },
    }


def config_map() -> dict[str, Any]:
    urls = {svc: f"http://renshi-{svc}:{PORT}" for svc in SERVICES}
    data: dict[str, str] = {
        "GATEWAY_ENVIRONMENT": "production",
        "GATEWAY_SERVICE_URLS": json.dumps(urls),
        "GATEWAY_RATE_LIMIT_STORAGE": f"redis://renshi-redis:{REDIS_PORT}",
        # The overlay sets the public address, the networks clients (and the
        # kubelet's probes) come from, and the ingress proxies.
        "GATEWAY_PUBLIC_URL": "https://renshi.example",
        "GATEWAY_ALLOWED_NETWORKS": json.dumps(["10.0.0.0/8"]),
        "GATEWAY_TRUSTED_PROXIES": json.dumps([]),
    }
    for svc in SERVICES:
        prefix = svc.upper()
        data[f"{prefix}_ENVIRONMENT"] = "production"
        data[f"{prefix}_GATEWAY_URL"] = f"http://renshi-gateway:{PORT}"
        data[f"{prefix}_INTERNAL_PUBLIC_KEY_FILE"] = f"{PUBLIC_KEY_DIR}/internal.pub.pem"
        if svc in PEERS:
            data[f"{prefix}_PEER_URLS"] = json.dumps({p: urls[p] for p in PEERS[svc]})
        if svc in OWN_ACCOUNTS:
            data[f"{prefix}_CLIENT_SECRET_FILE"] = f"{SECRET_MOUNTS}/svc.{svc}/client-secret"
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata("renshi-config", "config"),
        "data": data,
    }


def redis() -> list[dict[str, Any]]:
    volumes = [{"name": "data", "emptyDir": {}}]
    return [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": metadata("renshi-redis", "redis"),
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": selector("redis")},
                "template": {
                    "metadata": {"labels": labels("redis")},
                    "spec": {
                        "securityContext": {
                            **_pod_security(),
                            "runAsUser": 999,
                            "runAsGroup": 999,
                            "fsGroup": 999,
                        },
                        "automountServiceAccountToken": False,
                        "containers": [
                            {
                                "name": "redis",
                                "image": "redis:7.4-alpine",
                                # Counts only: nothing to keep across a restart.
                                "args": ["--save", "", "--appendonly", "no"],
                                "ports": [{"name": "redis", "containerPort": REDIS_PORT}],
                                "readinessProbe": {
                                    "exec": {"command": ["redis-cli", "ping"]},
                                    "periodSeconds": 10,
                                    "timeoutSeconds": 2,
                                },
                                "livenessProbe": {
                                    "tcpSocket": {"port": "redis"},
                                    "periodSeconds": 10,
                                    "timeoutSeconds": 2,
                                },
                                "resources": {
                                    "requests": {"cpu": "100m", "memory": "64Mi"},
                                    "limits": {"cpu": "500m", "memory": "256Mi"},
                                },
                                "securityContext": _container_security(),
                                "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                            }
                        ],
                        "volumes": volumes,
                    },
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": metadata("renshi-redis", "redis"),
            "spec": {
                "selector": selector("redis"),
                "ports": [{"name": "redis", "port": REDIS_PORT, "targetPort": "redis"}],
            },
        },
    ]


# ------------------------------------------------------------ network rules


def _pods(*components: str) -> dict[str, Any]:
    # By component alone: the CronJobs' pods (kept by hand) carry no name label.
    return {
        "podSelector": {
            "matchExpressions": [
                {
                    "key": "app.kubernetes.io/component",
                    "operator": "In",
                    "values": list(components),
                }
            ],
        }
    }


def _database_pods(name: str) -> dict[str, Any]:
    return {"podSelector": {"matchLabels": {"renshi.example/database": name}}}


def _tcp(*ports: int) -> list[dict[str, Any]]:
    return [{"protocol": "TCP", "port": port} for port in ports]


def _policy(name: str, pods: dict[str, Any], **rules: Any) -> dict[str, Any]:
    types = [t for t in ("Ingress", "Egress") if t.lower() in rules]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata(name, "network"),
        "spec": {**pods, "policyTypes": types, **rules},
    }


def _clients_of(name: str) -> tuple[str, ...]:
    """The pods that act for a database's owner: its server, its jobs, its migrations."""
    return (name, f"{name}-jobs", f"{name}-migrate")


def network_policies() -> list[dict[str, Any]]:
    """Deny by default; then only the gateway reaches the services (and each
    service the peers it calls), only each service's pods reach its database,
    only the gateway reaches Redis."""
    anywhere = [{"ipBlock": {"cidr": "0.0.0.0/0"}}]
    policies = [
        _policy("renshi-default-deny", {"podSelector": {}}, ingress=[], egress=[]),
        _policy(
            "renshi-dns",
            {"podSelector": {}},
            egress=[
                {
                    "to": [
                        {
                            "namespaceSelector": {},
                            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                        }
                    ],
                    "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                }
            ],
        ),
        _policy(
            "renshi-gateway",
            _pods("gateway"),
            # Clients come through the ingress controller; the gateway's own
            # source allow-list (GATEWAY_ALLOWED_NETWORKS) decides.
            ingress=[{"ports": _tcp(PORT)}],
            egress=[
                {"to": [_pods(*SERVICES)], "ports": _tcp(PORT)},
                {"to": [_pods("redis")], "ports": _tcp(REDIS_PORT)},
                {"to": [_database_pods("gateway")], "ports": _tcp(DATABASE_PORT)},
                # An external identity provider's JWKS (GATEWAY_JWKS_URL).
                {"to": anywhere, "ports": _tcp(443)},
            ],
        ),
        _policy(
            "renshi-redis",
            _pods("redis"),
            ingress=[{"from": [_pods("gateway")], "ports": _tcp(REDIS_PORT)}],
        ),
        _policy(
            "renshi-gateway-migrate",
            _pods("gateway-migrate"),
            egress=[{"to": [_database_pods("gateway")], "ports": _tcp(DATABASE_PORT)}],
        ),
        _policy(
            "renshi-gateway-database",
            _database_pods("gateway"),
            ingress=[{"from": [_pods("gateway", "gateway-migrate")], "ports": _tcp(DATABASE_PORT)}],
        ),
    ]
    for svc in SERVICES:
        callers = ("gateway", *sorted(c for c, peers in PEERS.items() if svc in peers))
        egress: list[dict[str, Any]] = [
            {"to": [_database_pods(svc)], "ports": _tcp(DATABASE_PORT)},
            # Token exchange and the jobs' own sign-in and calls.
            {"to": [_pods("gateway")], "ports": _tcp(PORT)},
        ]
        if svc in PEERS:
            egress.append({"to": [_pods(*PEERS[svc])], "ports": _tcp(PORT)})
        if svc in NOTIFYING:
            # Notice webhooks (HTTPS) and the mail relay (SMTP, submission).
            egress.append({"to": anywhere, "ports": _tcp(443, 25, 587)})
        policies += [
            _policy(
                f"renshi-{svc}",
                _pods(svc),
                ingress=[{"from": [_pods(*callers)], "ports": _tcp(PORT)}],
            ),
            _policy(f"renshi-{svc}-egress", _pods(*_clients_of(svc)), egress=egress),
            _policy(
                f"renshi-{svc}-database",
                _database_pods(svc),
                ingress=[{"from": [_pods(*_clients_of(svc))], "ports": _tcp(DATABASE_PORT)}],
            ),
        ]
    return policies


# ------------------------------------------------------------ secrets


def secret_templates() -> list[dict[str, Any]]:
    """Every Secret the manifests name, with its keys and no value."""

    def secret(name: str, keys: list[str], what: str) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": metadata(name, "secrets", annotations={"renshi.example/fill-in": what}),
            "type": "Opaque",
            "stringData": dict.fromkeys(keys, ""),
        }

    templates = [
        secret(
            "renshi-gateway",
            ["GATEWAY_DATABASE_URL", *SECRET_KEYS["gateway"]],
            "the audit database's URL; the two Ed25519 signing keys (PEM, PKCS8), "
            "made once with `openssl genpkey -algorithm ed25519`",
        ),
        secret(
            "renshi-internal-public-key",
            ["internal.pub.pem"],
            "the public half of GATEWAY_INTERNAL_PRIVATE_KEY (PEM), which every service "
            "verifies internal tokens with",
        ),
    ]
    for svc in SERVICES:
        templates.append(
            secret(
                f"renshi-{svc}",
                [f"{svc.upper()}_DATABASE_URL", *SECRET_KEYS.get(svc, ())],
                f"the {svc} database's URL (postgresql://user:password@host/renshi_{svc})"
                + (", the national-ID matching key" if svc == "directory" else "")
                + (", the SMTP password (empty: none)" if svc in NOTIFYING else ""),
            )
        )
    for svc in OWN_ACCOUNTS:
        templates.append(
            secret(
                f"renshi-svc-{svc}",
                ["client-secret"],
                f"the client secret of the account svc.{svc}, shown once when an "
                "administrator added it (README: Jobs with their own identity)",
            )
        )
    return templates


# ------------------------------------------------------------ files


HEADER = """\
# Written by `uv run python -m renshi.manifests` (renshi/manifests.py): edit
# that, not this file. {what}
"""


def base_files() -> dict[str, tuple[str, list[dict[str, Any]]]]:
    files: dict[str, tuple[str, list[dict[str, Any]]]] = {
        "config.yaml": (
            "What every process reads from its environment besides its secrets; each "
            "takes the variables of its own prefix.",
            [config_map()],
        ),
        "gateway.yaml": (
            f"The gateway: {GATEWAY_WORKERS} worker processes a pod, sized for both.",
            [deployment("gateway"), service("gateway"), autoscaler("gateway"),
             disruption_budget("gateway")],
        ),
        "redis.yaml": (
            "Redis for the gateway replicas' shared rate-limit counts.",
            redis(),
        ),
        "migrations.yaml": (
            "One migration Job per database; each service is ready only once its "
            "database is at head, so the Deployments wait on these by their probes.",
            [migration_job(name) for name in (*SERVICES, "gateway")],
        ),
        "network-policies.yaml": (
            "Deny by default; only the gateway reaches the services (and a service "
            "the peers it calls), only each service reaches its database.",
            network_policies(),
        ),
    }  # fmt: skip
    for svc in SERVICES:
        claims = [volume_claim(f"renshi-{svc}-spool", svc, "10Gi")]
        if svc == "certs":
            claims.append(volume_claim("renshi-certs-evidence", svc, "20Gi"))
        files[f"{svc}.yaml"] = (
            f"The {svc} service.",
            [deployment(svc), service(svc), autoscaler(svc), disruption_budget(svc), *claims],
        )
    return files


def cronjob_files() -> list[str]:
    return sorted(p.name for p in BASE.glob("*-cronjobs.yaml"))


def kustomization() -> str:
    resources = [*base_files(), *cronjob_files()]
    lines = [
        HEADER.format(what="The base: every process, without a namespace or an image tag."),
        "apiVersion: kustomize.config.k8s.io/v1beta1",
        "kind: Kustomization",
        "labels:",
        "  - pairs:",
        "      app.kubernetes.io/version: 0.1.0",
        "resources:",
        *(f"  - {name}" for name in resources),
    ]
    return "\n".join(lines) + "\n"


def _dump(what: str, documents: list[dict[str, Any]]) -> str:
    import yaml

    body = "".join("---\n" + yaml.safe_dump(doc, sort_keys=False, width=100) for doc in documents)
    return HEADER.format(what=what) + body


def rendered() -> dict[Path, str]:
    files = {BASE / name: _dump(what, docs) for name, (what, docs) in base_files().items()}
    files[BASE / "kustomization.yaml"] = kustomization()
    files[SECRETS / "secrets.template.yaml"] = _dump(
        "Templates, never values: copy, fill in every value, and apply once, outside "
        "the kustomization (kubectl apply -f filled.yaml); or make the same Secrets "
        "with your secret store.",
        secret_templates(),
    )
    return files


def main() -> int:
    for path, text in rendered().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
