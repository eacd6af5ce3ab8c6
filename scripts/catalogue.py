#!/usr/bin/env python3
"""The community provisioner catalogue's own check, run with score-rs.

For every `*.provisioners.yaml` of the catalogue (`<type>/<score-compose|score-k8s>/<file>`):
a fresh copy of the type folder, `score-rs init --no-sample --provisioners FILE`, then
`generate` of every Score file of the type folder for that file's target, then the output goes
through the independent validator when one is given (Compose v2 loader, kubernetes-validate
--strict).

A file is skipped only when it needs a program or service this machine lacks (each skip says
which). Files whose compose services depend on a service the user runs alongside (a Microcks
server, an Ollama server) are validated with a stub of that service added, since the compose
loader rejects a `depends_on` naming an undefined service (or volume).

Prints one line per file and `catalogue: N passed, M failed, K skipped`; exits non-zero on any
failure.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# file (relative to the catalogue) -> (reason, program whose presence would let it run, or None)
NEEDS = {
    "dns/score-compose/10-dns-in-codespace.provisioners.yaml": ("needs a GitHub Codespace (`gh codespace view`)", None),
    "dns/score-k8s/10-dns-in-codespace.provisioners.yaml": ("needs a GitHub Codespace (`gh codespace view`)", None),
    "llm-model/score-compose/10-dmr-llm-model-via-curl-cmd.provisioners.yaml": (
        "needs a Docker Model Runner listening on localhost:12434 (it runs curl against it)",
        None,
    ),
    "endpoint/score-k8s/10-endpoint-with-microcks-cli.provisioners.yaml": ("needs microcks-cli and yq", "microcks"),
    "redis/score-k8s/10-redis-helm-template.provisioners.yaml": ("needs helm and yq", "helm"),
    "redis/score-k8s/10-redis-helm-upgrade.provisioners.yaml": ("needs helm, yq and a cluster", "helm"),
}

# What a file's output refers to that the user runs next to the project (as a compose file).
EXTERNAL_SERVICES = {
    "endpoint/score-compose/10-endpoint-with-microcks.provisioners.yaml": {
        "services": {"microcks": {"image": "quay.io/microcks/microcks-uber:latest"}},
    },
    "llm-model/score-compose/10-ollama-llm-model-service.provisioners.yaml": {
        "services": {"ollama": {"image": "ollama/ollama:latest"}},
        "volumes": {"ollama_data": {}},
    },
}

# What a type folder needs beside its Score files (the catalogue's READMEs say so).
FOLDER_FILES = {"environment": {".env": "TEST=hello from .env\n"}}


def is_score_file(p: Path) -> bool:
    if p.suffix not in (".yaml", ".yml") or p.name.endswith(".provisioners.yaml"):
        return False
    return any(line.startswith("apiVersion: score.dev/") for line in p.read_text().splitlines())


def run(cmd, cwd):
    env = {**os.environ, "NO_COLOR": "1", "SCORE_RS_DIAGNOSTICS": "json"}
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env, timeout=300)


def one_file(binary, catalogue: Path, rel: Path, args):
    folder = catalogue / rel.parts[0]
    target = "k8s" if rel.parts[1] == "score-k8s" else "compose"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / folder.name
        shutil.copytree(folder, work)
        for name, text in FOLDER_FILES.get(folder.name, {}).items():
            (work / name).write_text(text)
        res = run([binary, "init", "--no-sample", "--provisioners", str(catalogue / rel)], work)
        if res.returncode != 0:
            return "fail", "init: " + res.stderr[-3000:]
        scores = sorted(str(p.name) for p in folder.iterdir() if p.is_file() and is_score_file(p))
        out = "manifests.yaml" if target == "k8s" else "compose.yaml"
        res = run([binary, "generate", "--target", target, "-o", out, *scores], work)
        if res.returncode != 0:
            errors = [json.loads(l) for l in res.stderr.splitlines() if l.startswith("{")]
            detail = "\n".join(f"    {d['code']}: {d['message']}" for d in errors if d.get("severity") == "error")
            return "fail", "generate: " + (detail or res.stderr[-3000:])
        return validate(work, out, target, EXTERNAL_SERVICES.get(rel.as_posix()), args)


def validate(work: Path, out: str, target: str, stubs, args):
    if target == "compose" and args.compose_bin:
        cmd = [args.compose_bin, "-f", out]
        if stubs:
            (work / "stubs.yaml").write_text(json.dumps(stubs))
            cmd += ["-f", "stubs.yaml"]
        res = subprocess.run([*cmd, "config", "-q"], capture_output=True, text=True, cwd=work)
        if res.returncode != 0:
            return "fail", "compose loader: " + res.stderr
    if target == "k8s" and args.k8s_validate:
        res = subprocess.run([args.k8s_validate, "--strict", out], capture_output=True, text=True, cwd=work)
        if res.returncode != 0 or "ERROR" in res.stdout:
            return "fail", "kubernetes-validate: " + res.stdout + res.stderr
    return "pass", ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--catalogue", required=True)
    ap.add_argument("--compose-bin")
    ap.add_argument("--k8s-validate")
    args = ap.parse_args()
    binary = str(Path(args.bin).resolve())
    catalogue = Path(args.catalogue).resolve()
    for name in ("compose_bin", "k8s_validate"):
        if getattr(args, name):
            setattr(args, name, str(Path(getattr(args, name)).resolve()))
        else:
            print(f"note: no --{name.replace('_', '-')}: that output is generated but not validated")
    files = sorted(p.relative_to(catalogue) for p in catalogue.glob("*/score-*/*.provisioners.yaml"))
    passed, failed, skipped = [], [], []
    for rel in files:
        need = NEEDS.get(rel.as_posix())
        if need and not (need[1] and shutil.which(need[1])):
            skipped.append(rel)
            print(f"  skipped  {rel}: {need[0]}")
            continue
        status, detail = one_file(binary, catalogue, rel, args)
        if status == "pass":
            passed.append(rel)
            print(f"  passed   {rel}")
        else:
            failed.append(rel)
            print(f"  FAILED   {rel}:\n{detail}")
    print(f"catalogue: {len(passed)} passed, {len(failed)} failed, {len(skipped)} skipped (of {len(files)} files)")
    sys.exit(1 if failed or not files else 0)


if __name__ == "__main__":
    main()
