"""The kustomize base is production-shaped: what a platform engineer checks before applying it, and
that its ANALYZER_* settings and mounts agree with the service."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from analyzer.auth import read_allow_list
from analyzer.settings import ENV_PREFIX, Settings
from tests.deploy.test_manifests import FOREIGN_KINDS, K8S_VERSION

BASE = Path(__file__).resolve().parents[2] / "deploy" / "base"


def base_objects() -> dict[str, dict[str, Any]]:
    """The base's objects by kind (one of each)."""
    objects = {}
    for path in BASE.glob("*.yaml"):
        if path.name != "kustomization.yaml":
            doc = yaml.safe_load(path.read_text())
            objects[doc["kind"]] = doc
    return objects


OBJECTS = base_objects()
POD = OBJECTS["Deployment"]["spec"]["template"]["spec"]
CONTAINER = POD["containers"][0]
ENV = {e["name"]: e["value"] for e in CONTAINER["env"]}


class TestInventory:
    """Everything the issue asks for is there, and the kustomization lists every file."""

    def test_kinds(self):
        assert set(OBJECTS) == {
            "ServiceAccount",
            "ConfigMap",
            "Secret",
            "Deployment",
            "Service",
            "PodDisruptionBudget",
            "HorizontalPodAutoscaler",
            "NetworkPolicy",
            "ServiceMonitor",
        }

    def test_kustomization_lists_every_file(self):
        listed = yaml.safe_load((BASE / "kustomization.yaml").read_text())["resources"]
        assert sorted(listed) == sorted(p.name for p in BASE.glob("*.yaml") if p.name != "kustomization.yaml")


class TestDeployment:
    """Two spread replicas, probes on the service's endpoints, bounded resources, locked-down pods."""

    def test_replicas_spread_and_disruption_budget(self):
        hpa = OBJECTS["HorizontalPodAutoscaler"]["spec"]
        assert hpa["scaleTargetRef"]["name"] == OBJECTS["Deployment"]["metadata"]["name"]
        # A replicas field beside an HPA is reset by every GitOps sync, undoing the autoscaler.
        assert "replicas" not in OBJECTS["Deployment"]["spec"]
        assert hpa["minReplicas"] >= 2
        assert {c["topologyKey"] for c in POD["topologySpreadConstraints"]} == {
            "topology.kubernetes.io/zone",
            "kubernetes.io/hostname",
        }
        assert OBJECTS["PodDisruptionBudget"]["spec"]["maxUnavailable"] == 1

    def test_probes_use_health_and_readiness(self):
        assert CONTAINER["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert CONTAINER["readinessProbe"]["httpGet"]["path"] == "/readyz"

    def test_resources(self):
        assert {"cpu", "memory"} <= CONTAINER["resources"]["requests"].keys()
        assert "memory" in CONTAINER["resources"]["limits"]

    def test_security_context(self):
        pod, container = POD["securityContext"], CONTAINER["securityContext"]
        assert pod["runAsNonRoot"] and pod["runAsUser"] > 0 and pod["seccompProfile"]["type"] == "RuntimeDefault"
        assert container["readOnlyRootFilesystem"] and not container["allowPrivilegeEscalation"]
        assert container["capabilities"]["drop"] == ["ALL"]
        assert POD["automountServiceAccountToken"] is False

    def test_the_grace_period_covers_pre_stop_and_drain(self):
        pre_stop_s = CONTAINER["lifecycle"]["preStop"]["sleep"]["seconds"]
        assert POD["terminationGracePeriodSeconds"] > pre_stop_s + float(ENV["ANALYZER_SHUTDOWN_TIMEOUT_S"])


class TestSettingsAndMounts:
    """The env names are real settings, and the paths they name are the mounted ConfigMap and Secret."""

    def test_every_env_var_is_a_valid_setting(self):
        for name in ENV:
            assert name.startswith(ENV_PREFIX) and name.removeprefix(ENV_PREFIX).lower() in Settings.model_fields
        settings = Settings.from_env(ENV)
        assert settings.deadline_s < 10, "the deadline must stay below Argo's 10 s web timeout"

    def test_catalog_and_tokens_are_whole_directory_mounts(self):
        mounts = {m["mountPath"]: m for m in CONTAINER["volumeMounts"]}
        volumes = {v["name"]: v for v in POD["volumes"]}
        catalog = mounts[ENV["ANALYZER_CATALOG"]]
        tokens = mounts[ENV["ANALYZER_AUTH_TOKENS"]]
        assert "subPath" not in catalog and "subPath" not in tokens, "subPath mounts never see updates"
        assert volumes[catalog["name"]]["configMap"]["name"] == OBJECTS["ConfigMap"]["metadata"]["name"]
        assert OBJECTS["ConfigMap"]["metadata"]["name"] == "analyzer-catalog"
        assert volumes[tokens["name"]]["secret"]["secretName"] == OBJECTS["Secret"]["metadata"]["name"]

    def test_dns_egress_reaches_coredns_and_node_local_dns_cache(self):
        egress = OBJECTS["NetworkPolicy"]["spec"]["egress"]
        dns_rules = [rule for rule in egress if {p["port"] for p in rule.get("ports", [])} == {53}]
        peers = [peer for rule in dns_rules for peer in rule["to"]]
        assert any(peer.get("podSelector", {}).get("matchLabels") == {"k8s-app": "kube-dns"} for peer in peers)
        assert {"ipBlock": {"cidr": "169.254.20.10/32"}} in peers

    def test_service_monitor_carries_the_kube_prometheus_stack_release_label(self):
        assert "release" in OBJECTS["ServiceMonitor"]["metadata"]["labels"]

    def test_service_and_network_policy_expose_8080_only(self):
        assert [p["port"] for p in OBJECTS["Service"]["spec"]["ports"]] == [8080]
        ingress = OBJECTS["NetworkPolicy"]["spec"]["ingress"]
        assert [p["port"] for rule in ingress for p in rule["ports"]] == [8080]
        assert CONTAINER["ports"][0]["containerPort"] == 8080 == Settings().port


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed")
class TestKustomizeOutput:
    """What `kubectl kustomize deploy/base` renders validates against the Kubernetes schemas."""

    def test_rendered_objects_validate(self):
        rendered = subprocess.run(
            ["kubectl", "kustomize", str(BASE)], check=True, capture_output=True, text=True, timeout=60
        ).stdout
        docs = [d for d in yaml.safe_load_all(rendered) if d]
        assert len(docs) == len(OBJECTS)
        for doc in docs:
            assert doc["metadata"]["namespace"] == "argo-rollouts"
            if (doc["apiVersion"], doc["kind"]) not in FOREIGN_KINDS:
                kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
        (deployment,) = [d for d in docs if d["kind"] == "Deployment"]
        assert deployment["spec"]["template"]["spec"]["containers"][0]["image"].endswith("/analyzer:0.1.0")


OVERLAY = BASE.parent / "examples" / "production-overlay"


class TestProductionOverlay:
    """The example overlay's allow-list is one the service accepts, mounted where its env var points."""

    def test_allow_list_parses(self, tmp_path):
        config_map = yaml.safe_load((OVERLAY / "configmap-auth.yaml").read_text())
        path = tmp_path / "allow.yaml"
        path.write_text(config_map["data"]["allow.yaml"])
        assert read_allow_list(path)["argo-rollouts"] == ("*",)

    @pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed")
    def test_rendered_output_has_no_tokens_secret(self):
        rendered = subprocess.run(
            ["kubectl", "kustomize", str(OVERLAY)], check=True, capture_output=True, text=True, timeout=60
        ).stdout
        docs = [d for d in yaml.safe_load_all(rendered) if d]
        secrets = [d["metadata"]["name"] for d in docs if d["kind"] == "Secret"]
        assert "analyzer-tokens" not in secrets, "a GitOps sync would replace the real tokens with an empty Secret"
        (deployment,) = [d for d in docs if d["kind"] == "Deployment"]
        volumes = deployment["spec"]["template"]["spec"]["volumes"]
        assert {"secretName": "analyzer-tokens", "defaultMode": 0o440} in [v.get("secret") for v in volumes]

    @pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed")
    def test_rendered_deployment_mounts_the_allow_list(self):
        rendered = subprocess.run(
            ["kubectl", "kustomize", str(OVERLAY)], check=True, capture_output=True, text=True, timeout=60
        ).stdout
        (deployment,) = [d for d in yaml.safe_load_all(rendered) if d and d["kind"] == "Deployment"]
        kubernetes_validate.validate(deployment, K8S_VERSION, strict=True)
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        env = {e["name"]: e["value"] for e in container["env"]}
        mounts = {m["mountPath"] for m in container["volumeMounts"]}
        assert str(Path(env["ANALYZER_AUTH_ALLOW"]).parent) in mounts
