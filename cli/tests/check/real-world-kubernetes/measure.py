#!/usr/bin/env python3
"""Measure `cargo microservice check` (and optionally trivy and checkov) on the labelled
Kubernetes corpus: per label, the (workload, label) pairs labelled, how many each tool found,
and its false alarms, with false alarms per 10 manifest files.

    python3 cli/tests/check/real-world-kubernetes/measure.py CACHE [--check BIN] [--trivy]
        [--checkov] [--details] [--heldout]

CACHE holds each entry's files as CACHE/<owner>+<name>/<commit>/<path in the repository>
(labelling/cache.py makes it from the `fetch` snapshots; README.md says how). Each entry is
staged in a temporary directory: its manifests at their paths in the repository and, with a
`context`, that directory's Dockerfile, Cargo.toml and .rs files at the top, as check reads a
project. Every tool reads the same directory.

The unit is (entry, label, workload): one workload counts once per label however many of its
containers have the defect, so tools that report per container and per workload are counted
alike. A finding is put in the workload whose YAML document holds its line (check, trivy) or
that it names (checkov).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections import Counter
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
LABELS = [
    "privilege-escalation", "non-root", "root-uid", "seccomp", "capabilities", "host-access",
    "writable-root", "probes", "probe-port", "probe-path", "resources", "floating-tag",
    "grace-period", "volume-under-read-only-root", "plaintext-secret",
]
CHECK = {
    "CM101": "privilege-escalation", "CM102": "non-root", "CM103": "root-uid", "CM104": "seccomp",
    "CM105": "capabilities", "CM106": "host-access", "CM107": "probes", "CM108": "probe-port",
    "CM109": "probe-path", "CM110": "resources", "CM111": "floating-tag", "CM112": "grace-period",
    "CM113": "volume-under-read-only-root", "CM114": "writable-root",
}
# trivy 0.76's embedded Kubernetes checks that make one of the checklist's claims.
TRIVY = {
    "KSV-0001": "privilege-escalation", "KSV-0012": "non-root", "KSV-0105": "root-uid",
    "KSV-0030": "seccomp", "KSV-0104": "seccomp", "KSV-0003": "capabilities",
    "KSV-0022": "capabilities", "KSV-0106": "capabilities", "KSV-0017": "host-access",
    "KSV-0008": "host-access", "KSV-0009": "host-access", "KSV-0010": "host-access",
    "KSV-0023": "host-access", "KSV-0024": "host-access", "KSV-0014": "writable-root",
    "KSV-0011": "resources", "KSV-0015": "resources", "KSV-0016": "resources",
    "KSV-0018": "resources", "KSV-0013": "floating-tag",
    "KSV-0109": "plaintext-secret", "KSV-01010": "plaintext-secret",
}
# checkov 3.3.30's Kubernetes checks that make one of the checklist's claims.
CHECKOV = {
    "CKV_K8S_20": "privilege-escalation", "CKV_K8S_23": "non-root", "CKV_K8S_31": "seccomp",
    "CKV_K8S_37": "capabilities", "CKV_K8S_25": "capabilities", "CKV_K8S_28": "capabilities",
    "CKV_K8S_16": "host-access", "CKV_K8S_17": "host-access", "CKV_K8S_18": "host-access",
    "CKV_K8S_19": "host-access", "CKV_K8S_26": "host-access", "CKV_K8S_22": "writable-root",
    "CKV_K8S_8": "probes", "CKV_K8S_9": "probes", "CKV_K8S_10": "resources",
    "CKV_K8S_11": "resources", "CKV_K8S_12": "resources", "CKV_K8S_13": "resources",
    "CKV_K8S_14": "floating-tag",
}


def manifest_files(root, entry):
    found = []
    for path in entry["manifests"]:
        full = root / path
        if full.is_file():
            found.append(path)
        else:
            found += [str(p.relative_to(root)) for p in sorted(full.rglob("*"))
                      if p.suffix in (".yaml", ".yml") and p.is_file()]
    return found


def stage(entry, cache, into):
    snapshot = Path(cache) / entry["repo"].replace("/", "+") / entry["commit"]
    if not snapshot.is_dir():
        sys.exit(f"{entry['id']}: {snapshot} is missing; make the cache first (README.md)")
    files = manifest_files(snapshot, entry)
    for path in files:
        (into / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(snapshot / path, into / path)
    context = entry.get("context")
    if context:
        base = snapshot / context
        for source in base.rglob("*"):
            name = source.name
            if source.is_file() and (name.startswith("Dockerfile") or name == "Cargo.toml" or name.endswith(".rs")):
                target = into / source.relative_to(base)
                target.parent.mkdir(parents=True, exist_ok=True)
                if not target.exists():
                    shutil.copyfile(source, target)
    return files


def documents(project, files):
    """(file, first line, last line, 'Kind/name') for every YAML document of the manifests."""
    spans = []
    for path in files:
        try:
            nodes = list(yaml.compose_all((project / path).read_text()))
        except Exception:
            continue
        for node in nodes:
            if not isinstance(node, yaml.MappingNode):
                continue
            fields = {key.value: value for key, value in node.value if isinstance(key, yaml.ScalarNode)}
            kind = getattr(fields.get("kind"), "value", None)
            metadata = fields.get("metadata")
            name = None
            if isinstance(metadata, yaml.MappingNode):
                name = next((v.value for k, v in metadata.value if k.value == "name"), None)
            spans.append((path, node.start_mark.line + 1, node.end_mark.line + 1, f"{kind}/{name}"))
    return spans


def workload_at(spans, file, line):
    for path, first, last, workload in spans:
        if path == file and first <= line <= last:
            return workload
    return None


def run_check(binary, project, spans):
    result = subprocess.run([binary, "check", str(project), "--format", "json"], capture_output=True, text=True)
    if result.returncode not in (0, 1):
        return None, (result.stderr.strip().splitlines() or [f"exit {result.returncode}"])[-1]
    found = []
    for finding in json.loads(result.stdout)["findings"]:
        label = CHECK.get(finding["rule"])
        if label:
            workload = workload_at(spans, finding["file"], finding["line"])
            found.append((label, workload, f"{finding['rule']} {finding['file']}:{finding['line']} {finding['message']}"))
    return found, None


def run_trivy(project, spans):
    result = subprocess.run(
        ["trivy", "config", "--skip-check-update", "--quiet", "-f", "json", str(project)],
        capture_output=True, text=True,
    )
    found = []
    for target in json.loads(result.stdout or "{}").get("Results", []):
        if target.get("Type") != "kubernetes":
            continue
        for misconfiguration in target.get("Misconfigurations", []):
            label = TRIVY.get(misconfiguration["ID"])
            if label:
                line = misconfiguration.get("CauseMetadata", {}).get("StartLine") or 0
                workload = workload_at(spans, target["Target"], line)
                found.append((label, workload, f"{misconfiguration['ID']} {target['Target']}:{line}"))
    return found


def run_checkov(project):
    result = subprocess.run(
        ["checkov", "-d", str(project), "--framework", "kubernetes", "-o", "json", "--quiet", "--skip-download"],
        capture_output=True, text=True,
    )
    report = json.loads(result.stdout or "{}")
    reports = report if isinstance(report, list) else [report]
    found = []
    for one in reports:
        for check in one.get("results", {}).get("failed_checks", []):
            label = CHECKOV.get(check["check_id"])
            if label:
                kind, _, rest = check["resource"].partition(".")
                name = rest.rsplit(".", 1)[-1]
                found.append((label, f"{kind}/{name}", f"{check['check_id']} {check['resource']}"))
    return found


def score(entries, results):
    """Per label: labelled, found and false (workload, label) pairs, and files scored."""
    table = {label: Counter() for label in LABELS}
    misses, alarms = {label: [] for label in LABELS}, {label: [] for label in LABELS}
    for entry in entries:
        found = results.get(entry["id"])
        if found is None:
            continue
        unknown = {item["label"] for item in entry.get("unknown", [])}
        labelled = {(d["label"], d["workload"]) for d in entry["defects"]}
        reported = {}
        for label, workload, text in found:
            reported.setdefault((label, workload), []).append(text)
        for label in LABELS:
            if label in unknown:
                continue
            want = {pair for pair in labelled if pair[0] == label}
            got = {pair for pair in reported if pair[0] == label}
            table[label].update(labelled=len(want), found=len(want & got), false=len(got - want), files=entry["_files"])
            for pair in sorted(want - got, key=str):
                reasons = [d["why"] for d in entry["defects"] if (d["label"], d["workload"]) == pair]
                misses[label].append((entry["id"], pair[1], reasons[:1]))
            for pair in sorted(got - want, key=str):
                alarms[label].append((entry["id"], pair[1], reported[pair][:2]))
    return table, misses, alarms


def ratio(part, whole):
    return f"{100 * part / whole:.0f}%" if whole else "-"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cache")
    parser.add_argument("--check", default=None, help="the cargo-microservice binary")
    parser.add_argument("--heldout", action="store_true", help="measure heldout.toml")
    parser.add_argument("--trivy", action="store_true", help="also run `trivy config` (on PATH)")
    parser.add_argument("--checkov", action="store_true", help="also run checkov (on PATH)")
    parser.add_argument("--details", action="store_true", help="list every miss and false alarm of check")
    args = parser.parse_args()
    binary = args.check or str(HERE.parents[3] / "target" / "debug" / "cargo-microservice")
    if not Path(binary).exists() and shutil.which(binary) is None:
        sys.exit(f"{binary} not found: build it (cargo build -p cargo-microservice) or pass --check")
    corpus = HERE / ("heldout.toml" if args.heldout else "corpus.toml")
    entries = tomllib.loads(corpus.read_text())["entry"]
    tools = ["check"] + (["trivy"] if args.trivy else []) + (["checkov"] if args.checkov else [])
    results = {tool: {} for tool in tools}
    errors = []
    files_total = 0
    with tempfile.TemporaryDirectory(prefix="real-world-kubernetes-") as scratch:
        for entry in entries:
            project = Path(scratch) / entry["id"]
            project.mkdir()
            files = stage(entry, args.cache, project)
            entry["_files"] = len(files)
            files_total += len(files)
            spans = documents(project, files)
            found, error = run_check(binary, project, spans)
            results["check"][entry["id"]] = found
            if error:
                errors.append(f"{entry['id']}: check failed: {error}")
            if args.trivy:
                results["trivy"][entry["id"]] = run_trivy(project, spans)
            if args.checkov:
                results["checkov"][entry["id"]] = run_checkov(project)
    scored = {tool: score(entries, results[tool]) for tool in tools}
    covers = {"check": set(CHECK.values()), "trivy": set(TRIVY.values()), "checkov": set(CHECKOV.values())}
    pairs = sum(len({(d["label"], d["workload"]) for d in e["defects"]}) for e in entries)
    print(f"{len(entries)} manifest sets, {files_total} manifest files, {pairs} labelled (workload, label) pairs\n")
    header, rule = "| label | labelled |", "| --- | --- |"
    for tool in tools:
        header += f" {tool} found | {tool} false |"
        rule += " --- | --- |"
    print(header)
    print(rule)
    totals = {tool: Counter() for tool in tools}
    labelled_total = Counter()
    for label in LABELS:
        row = scored["check"][0][label]
        labelled_total.update(labelled=row["labelled"])
        line = f"| {label} | {row['labelled']} |"
        for tool in tools:
            if label in covers[tool]:
                other = scored[tool][0][label]
                totals[tool].update(other)
                line += f" {other['found']} ({ratio(other['found'], other['labelled'])}) | {other['false']} |"
            else:
                line += " - | - |"
        print(line)
    line = f"| all a tool covers | - |"
    for tool in tools:
        total = totals[tool]
        line += f" {total['found']} of {total['labelled']} ({ratio(total['found'], total['labelled'])}) | {total['false']} ({10 * total['false'] / files_total:.1f} per 10 files) |"
    print(line)
    for error in errors:
        print(f"\nERROR {error}")
    if args.details:
        _, misses, alarms = scored["check"]
        for label in LABELS:
            if misses[label] or alarms[label]:
                print(f"\n## {label}")
            for entry_id, workload, reasons in misses[label]:
                print(f"- missed in {entry_id} {workload}: {' / '.join(reasons)}")
            for entry_id, workload, texts in alarms[label]:
                print(f"- false in {entry_id} {workload}: {' / '.join(texts)}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
