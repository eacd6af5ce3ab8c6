#!/usr/bin/env python3
"""Run score-rs over every workload folder of the upstream Score corpus.

For each folder holding Score files: a fresh project (`score-rs init`) with the folder copied
into it, then `generate` for each file (with `--image` for containers whose image is "." on the Kubernetes targets, as the
folder's README would; compose builds them from the Score file's directory by itself), then the
output is checked by the independent validator when one is given.

Only the folders in EXPECTED_FAILURES may fail, and only with the error given there; every
other folder must pass. Prints `<target>: N passed, M failed` and exits non-zero on any other
outcome (an unexpected failure, or an expected failure that now passes: update the list).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


# Folders that may not generate, by target ("*": every target), with the diagnostic code and a
# piece of the message they must fail with.
MADE_UP_TYPES = ("score::resource::unsupported", "is not supported by any provisioner")
EXPECTED_FAILURES = {
    # Samples of made-up resource types.
    ("score-go/schema/files/samples", "*"): MADE_UP_TYPES,
    ("score-helm/examples", "*"): MADE_UP_TYPES,
    ("score-radius/examples/score", "*"): MADE_UP_TYPES,
    # A local-development emulator: no meaning in a Terraform module.
    ("community-provisioners/gcp-pubsub-emulator", "terraform"): (
        "score::provisioner::template",
        "gcp-pubsub-emulator.default#my-workload.pubsub` is not supported on terraform",
    ),
}


def expected_failure(rel: str, target: str):
    return EXPECTED_FAILURES.get((rel, target)) or EXPECTED_FAILURES.get((rel, "*"))


def score_files(folder: Path):
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml", ".json") and p.is_file())


def dot_image_containers(binary: str, path: Path):
    """Containers whose image is "." (a line scan: container names sit at indent 2 under `containers:`)."""
    text = path.read_text()
    names = []
    current = None
    for line in text.splitlines():
        stripped = line.strip()
        if line.startswith("  ") and not line.startswith("   ") and stripped.endswith(":"):
            current = stripped[:-1].strip('"')
        if stripped.replace('"', "").replace("'", "") in ("image: .",):
            names.append(current)
    return [n for n in names if n]


def run(cmd, cwd):
    env = {**os.environ, "NO_COLOR": "1", "SCORE_RS_DIAGNOSTICS": "json"}
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--target", required=True, choices=["compose", "k8s", "terraform"])
    ap.add_argument("--compose-bin")
    ap.add_argument("--k8s-validate")
    ap.add_argument("--expect-passed", type=int, help="fail unless exactly this many folders pass")
    args = ap.parse_args()
    binary = str(Path(args.bin).resolve())
    if args.compose_bin:
        args.compose_bin = str(Path(args.compose_bin).resolve())
    if args.k8s_validate:
        args.k8s_validate = str(Path(args.k8s_validate).resolve())
    folders = sorted({p.parent for p in Path(args.corpus).resolve().rglob("*") if p.suffix in (".yaml", ".yml")})
    passed, expected, unexpected = [], [], []
    for folder in folders:
        with tempfile.TemporaryDirectory() as tmp:
            status, detail = one_folder(binary, folder, Path(tmp), args)
        rel = folder.relative_to(Path(args.corpus).resolve()).as_posix()
        allowed = expected_failure(rel, args.target)
        if status == "pass" and not allowed:
            passed.append(rel)
        elif status == "pass":
            unexpected.append((rel, "    passes, but EXPECTED_FAILURES says it fails: update the list"))
        elif allowed and any(allowed[0] == code and allowed[1] in msg for code, msg in detail):
            expected.append((rel, detail))
        else:
            unexpected.append((rel, render(detail)))
    for rel, detail in expected:
        print(f"  expected     {rel}: {detail[0][1][:160]}")
    for rel, detail in unexpected:
        print(f"  FAILED       {rel}:\n{detail}")
    print(f"{args.target}: {len(passed)} passed, {len(expected) + len(unexpected)} failed")
    print(f"({len(expected)} expected (EXPECTED_FAILURES), {len(unexpected)} unexpected)")
    if args.expect_passed is not None and len(passed) != args.expect_passed:
        print(f"expected {args.expect_passed} folders to pass on {args.target}, got {len(passed)}")
        sys.exit(1)
    sys.exit(1 if unexpected else 0)


def render(detail):
    """A failure's diagnostics (or raw text) for printing."""
    if isinstance(detail, str):
        return detail
    return "\n".join(f"    {code}: {msg}" for code, msg in detail)


def one_folder(binary, folder, tmp, args):
    init = run([binary, "init", "--no-sample"], tmp)
    if init.returncode != 0:
        return "fail", init.stderr
    # The folder is copied into the project, as a user's Score files live in their project:
    # a workload stored by an earlier `generate` is re-rendered by the next one, and score-rs
    # only follows state paths that stay inside the project.
    src = tmp / "src"
    shutil.copytree(folder, src, symlinks=True)
    for f in score_files(src):
        cmd = [binary, "generate", str(f.relative_to(tmp)), "--target", args.target, "-o", "out"]
        for c in dot_image_containers(binary, f):
            if args.target == "k8s":
                cmd += ["--image", f"registry.example.com/{f.stem}-{c}:dev"]
        res = run(cmd, tmp)
        if res.returncode != 0:
            errors = errors_of(res.stderr)
            if errors:
                return "fail", [(d["code"], d["message"]) for d in errors]
            return "fail", res.stderr[-3000:]
    return validate(tmp / "out", args)


def errors_of(stderr: str):
    """The errors (not warnings) among score-rs's JSON diagnostics."""
    found = (json.loads(l) for l in stderr.splitlines() if l.startswith("{"))
    return [d for d in found if d.get("severity") == "error"]


def validate(out: Path, args):
    if args.target == "compose" and args.compose_bin:
        res = subprocess.run([args.compose_bin, "-f", str(out), "config", "-q"], capture_output=True, text=True, cwd=out.parent)
        if res.returncode != 0:
            return "fail", "compose loader: " + res.stderr
    if args.target == "k8s" and args.k8s_validate:
        res = subprocess.run([args.k8s_validate, "--strict", str(out)], capture_output=True, text=True)
        if res.returncode != 0 or "ERROR" in res.stdout:
            return "fail", "kubernetes-validate: " + res.stdout + res.stderr
    if args.target == "terraform":
        if not (out / "main.tf").is_file():
            return "fail", "no main.tf written"
        try:
            import hcl2  # python-hcl2, installed by .ci/run
        except ImportError:
            return "pass", ""
        for tf in sorted(out.glob("*.tf")):
            try:
                hcl2.loads(tf.read_text())
            except Exception as e:  # the parser raises several exception types
                return "fail", f"python-hcl2 cannot parse {tf.name}: {e}"
    return "pass", ""


if __name__ == "__main__":
    main()
