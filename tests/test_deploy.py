"""Deployment files: Kubernetes manifests (kubernetes-validate, offline schemas), the nginx
configuration scripts/serve.sh renders (nginx -t), and the Docker Compose file (parsed and
checked for consistency: Docker does not run here, so it is never started by a test).

The values these files must agree on have one home each: the upload limit is Streamlit's
``server.maxUploadSize`` in .streamlit/config.toml, the health endpoint is Streamlit's
``/_stcore/health``, the app's port is the Dockerfile's ``EXPOSE``.
"""
from __future__ import annotations

import copy
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
K8S = ROOT / "deploy" / "k8s"
NGINX = "/usr/sbin/nginx"
SERVE = ROOT / "scripts" / "serve.sh"
# The oldest Kubernetes still in wide use and the newest the package has schemas for.
K8S_VERSIONS = ("1.30.0", "1.37.0")
HEALTH = "/_stcore/health"
ANN = "nginx.ingress.kubernetes.io/"


def max_upload_mb() -> int:
    with open(ROOT / ".streamlit" / "config.toml", "rb") as f:
        return int(tomllib.load(f)["server"]["maxUploadSize"])


def app_port() -> int:
    return int(re.search(r"^EXPOSE\s+(\d+)", (ROOT / "Dockerfile").read_text(), re.M).group(1))


def manifests() -> list[dict]:
    docs = []
    for f in sorted(K8S.glob("*.yaml")):
        docs += [d for d in yaml.safe_load_all(f.read_text()) if d]
    return docs


def one(kind: str, name: str | None = None) -> dict:
    found = [d for d in manifests() if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]
    assert len(found) == 1, f"{len(found)} {kind} {name or ''}"
    return found[0]


def quantity(q: str) -> float:
    """A Kubernetes quantity in base units (cores or bytes)."""
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "k": 1e3, "M": 1e6, "G": 1e9, "": 1}
    m = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", str(q))
    return float(m.group(1)) * units[m.group(2)]


# ----------------------------------------------------------------------------- Kubernetes
@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_every_manifest_is_valid_kubernetes(version):
    docs = manifests()
    kinds = sorted(d["kind"] for d in docs)
    assert {"Deployment", "Service", "Ingress", "HorizontalPodAutoscaler"} <= set(kinds), kinds
    for d in docs:
        kubernetes_validate.validate(d, version, strict=True)     # raises on any schema error


def test_the_validator_rejects_a_broken_manifest():
    """The check above can fail: an unknown field (strict) and a wrong type are refused."""
    dep = copy.deepcopy(one("Deployment"))
    dep["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}        # a typo
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(dep, K8S_VERSIONS[-1], strict=True)
    dep = copy.deepcopy(one("Deployment"))
    dep["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(dep, K8S_VERSIONS[-1], strict=True)


def test_deployment_probes_resources_and_port():
    dep = one("Deployment")
    pod = dep["spec"]["template"]
    (c,) = pod["spec"]["containers"]
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    assert ports == {"http": app_port()}
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        get = c[probe]["httpGet"]
        assert get["path"] == HEALTH and get["port"] in ("http", app_port()), probe
    # liveness is more patient than readiness: a busy replica is taken out of rotation, not killed
    live, ready = c["livenessProbe"], c["readinessProbe"]
    assert live["periodSeconds"] * live["failureThreshold"] > ready["periodSeconds"] * ready["failureThreshold"]
    req, lim = c["resources"]["requests"], c["resources"]["limits"]
    assert quantity(req["cpu"]) <= quantity(lim["cpu"]) and quantity(req["memory"]) <= quantity(lim["memory"])
    # measured: ~0.42 GB idle, < 0.5 GB under a class of 30 (docs/DEPLOYMENT.md) -> the request
    # covers a loaded replica and the limit leaves room for the byte-bounded caches
    assert quantity(req["memory"]) >= 600 * 2**20 and quantity(lim["memory"]) >= 900 * 2**20
    assert pod["metadata"]["labels"].items() >= dep["spec"]["selector"]["matchLabels"].items()
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
    assert dep["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def test_service_selects_the_pods_and_the_ingress_reaches_the_service():
    dep, svc = one("Deployment"), one("Service")
    assert svc["spec"]["selector"].items() <= dep["spec"]["template"]["metadata"]["labels"].items()
    (port,) = svc["spec"]["ports"]
    assert port["targetPort"] in ("http", app_port())
    for ing in [d for d in manifests() if d["kind"] == "Ingress"]:
        for rule in ing["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                assert backend["name"] == svc["metadata"]["name"]
                assert backend["port"].get("name") == port["name"] or backend["port"].get("number") == port["port"]


def test_ingress_affinity_websocket_timeouts_body_size_and_frame_headers():
    ingresses = {d["metadata"]["name"]: d for d in manifests() if d["kind"] == "Ingress"}
    maps = {d["metadata"]["name"]: d["data"] for d in manifests() if d["kind"] == "ConfigMap"}
    main = ingresses["attention-explorer"]
    for ing in ingresses.values():
        a = ing["metadata"]["annotations"]
        assert a[ANN + "affinity"] == "cookie" and a[ANN + "affinity-mode"] == "persistent"
        assert a[ANN + "session-cookie-name"]
        assert a[ANN + "proxy-body-size"] == f"{max_upload_mb()}m"
        ns, name = a[ANN + "custom-headers"].split("/")
        assert ns == ing["metadata"]["namespace"] and name in maps
    a = main["metadata"]["annotations"]
    assert int(a[ANN + "proxy-read-timeout"]) >= 3600 and int(a[ANN + "proxy-send-timeout"]) >= 3600
    headers = maps[a[ANN + "custom-headers"].split("/")[1]]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Content-Security-Policy"] == "frame-ancestors 'none'"
    paths = {p["path"] for r in main["spec"]["rules"] for p in r["http"]["paths"]}
    assert paths == {"/"}


def test_hpa_scales_the_deployment_on_cpu():
    hpa, dep = one("HorizontalPodAutoscaler"), one("Deployment")
    ref = hpa["spec"]["scaleTargetRef"]
    assert (ref["kind"], ref["name"]) == ("Deployment", dep["metadata"]["name"])
    (metric,) = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu" and metric["resource"]["target"]["type"] == "Utilization"
    assert 2 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    assert all(d["metadata"].get("namespace", "attention-explorer") == "attention-explorer"
               for d in manifests() if d["kind"] != "Namespace")


# ----------------------------------------------------------------------------- nginx
needs_nginx = pytest.mark.skipif(not Path(NGINX).exists(),
                                 reason=f"{NGINX} missing: install Debian's nginx (./scripts/test.sh does)")


@needs_nginx
def test_serve_sh_renders_a_config_nginx_accepts(tmp_path):
    run = tmp_path / "run"
    r = subprocess.run(["bash", str(SERVE), "--config-only", "--replicas", "3", "--port", "18999",
                        "--run-dir", str(run)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr           # serve.sh ran `nginx -t` on it
    site = re.sub(r"#.*", "", (run / "site.conf").read_text())          # without the comments
    assert re.findall(r"server 127\.0\.0\.1:(\d+) max_fails", site) == ["19000", "19001", "19002"]
    assert "listen 127.0.0.1:18999;" in site
    assert f"client_max_body_size {max_upload_mb()}m;" in site
    assert "hash $ae_route consistent;" in site and "ip_hash" not in site
    assert "@" not in site, "an unrendered placeholder"
    assert "X-Upstream" not in site              # only with --expose-upstream
    conf = re.sub(r"#.*", "", (run / "nginx.conf").read_text())
    assert f"pid {run}/nginx.pid;" in conf and "daemon" not in conf


def test_serve_sh_refuses_bad_options(tmp_path):
    for args in (["--replicas", "0"], ["--replicas", "x"], ["--port", "99999"], ["--nope"], ["--port"]):
        r = subprocess.run(["bash", str(SERVE), *args, "--config-only", "--run-dir", str(tmp_path)],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 2 and "serve.sh:" in r.stderr, (args, r.stderr)


def test_serve_sh_refuses_a_port_in_use(tmp_path):
    """Nothing is started when nginx's or a replica's port is taken (a clear message instead)."""
    import socket
    with socket.socket() as f:
        f.bind(("127.0.0.1", 0))
        free = f.getsockname()[1]                       # closed again below: free
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        busy = s.getsockname()[1]
        for args, what in ((["--port", str(busy), "--replica-port", str(free)], "port"),
                           (["--port", str(free), "--replica-port", str(busy)], "replica port")):
            r = subprocess.run(["bash", str(SERVE), "--replicas", "1", *args, "--run-dir", str(tmp_path)],
                               capture_output=True, text=True, timeout=60)
            assert r.returncode == 2 and f"{what} {busy}" in r.stderr and "in use" in r.stderr, r.stderr
    assert not (tmp_path / "replicas.tsv").exists()


# ----------------------------------------------------------------------------- Docker Compose
def compose() -> dict:
    return yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())


def test_compose_nginx_conf_is_the_rendered_template():
    r = subprocess.run(["bash", str(SERVE), "--print-site", "--upstreams", "app1:8501 app2:8501",
                        "--listen", "80"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert (ROOT / "deploy" / "nginx" / "compose.conf").read_text() == r.stdout, \
        "deploy/nginx/compose.conf is stale: re-render it (command in deploy/compose.yaml)"


def test_compose_services_ports_and_paths_agree():
    c = compose()
    svc = c["services"]
    apps = sorted(k for k in svc if k != "nginx")
    assert apps == ["app1", "app2"]
    conf = (ROOT / "deploy" / "nginx" / "compose.conf").read_text()
    upstreams = re.findall(r"server (\S+):(\d+) max_fails", conf)
    assert sorted(h for h, _ in upstreams) == apps
    assert {int(p) for _, p in upstreams} == {app_port()}
    for a in apps:
        assert str(app_port()) in [str(p) for p in svc[a]["expose"]]
        assert (ROOT / "deploy" / svc[a]["build"]["context"] / svc[a]["build"]["dockerfile"]).is_file()
    ng = svc["nginx"]
    listen = int(re.search(r"listen (\d+);", conf).group(1))
    assert any(str(p).split(":")[-1] == str(listen) for p in ng["ports"])
    (vol,) = ng["volumes"]
    src, dst, _mode = vol.split(":")
    assert (ROOT / "deploy" / src).resolve() == (ROOT / "deploy" / "nginx" / "compose.conf").resolve()
    assert dst.startswith("/etc/nginx/conf.d/") and dst.endswith(".conf")
    assert all(ng["depends_on"][a]["condition"] == "service_healthy" for a in apps)


@needs_nginx
def test_compose_nginx_conf_is_accepted_by_nginx(tmp_path):
    """The Compose site file passes `nginx -t` (its hosts app1/app2 replaced by loopback, the
    only change: nginx resolves upstream names while it checks)."""
    conf = (ROOT / "deploy" / "nginx" / "compose.conf").read_text()
    conf = re.sub(r"server app\d+:", "server 127.0.0.1:", conf).replace("listen 80;", "listen 127.0.0.1:18998;")
    conf = conf.replace("/var/log/nginx/access.log", str(tmp_path / "access.log"))
    (tmp_path / "site.conf").write_text(conf)
    for d in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / d).mkdir()
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\nhttp {{\n"
        f"client_body_temp_path {tmp_path}/body; proxy_temp_path {tmp_path}/proxy;\n"
        f"fastcgi_temp_path {tmp_path}/fastcgi; uwsgi_temp_path {tmp_path}/uwsgi; scgi_temp_path {tmp_path}/scgi;\n"
        f"include {tmp_path}/site.conf;\n}}\n")
    r = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"),
                        "-e", str(tmp_path / "error.log")], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
