#!/usr/bin/env python3
"""Measure `cargo microservice check` (and optionally hadolint and trivy) on the labelled
real-world corpus: per rule, the labelled defects, how many were found, recall, and false
alarms per 10 files.

    python3 cli/tests/check/real-world/measure.py CACHE [--check BIN] [--hadolint] [--trivy]
        [--details] [--json FILE] [--heldout | --corpus FILE ...]

`--as-projects` (with `--sparse`: only the files at the repository's root and the entry's
Dockerfile, the members missing, as in a sparse checkout) checks each entry's whole repository snapshot (the Dockerfile where it is, beside
its Cargo.toml and every other file the cache keeps) instead of its context with the Dockerfile
moved to the top, and scores the findings in the entry's context; an exit status 2 is an error.
`--heldout` measures heldout.toml (files the rules were not tuned on) instead of corpus.toml;
`--corpus` may be given more than once, and with two or more corpora the per-rule table puts
them side by side.

CACHE holds each entry's files as CACHE/<owner>+<name>/<commit>/<path in the repository>
(see README.md for how it is made). Nothing here builds or runs the projects' code.
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

HERE = Path(__file__).resolve().parent
RULES = [f"CM{n:03}" for n in range(1, 25)]

# Other linters' findings that make the same claim as one of ours. hadolint's DL3002 only
# fires on an explicit `USER root`; trivy's DS-0002 also fires when USER is missing.
HADOLINT = {"DL3006": "CM004", "DL3007": "CM004", "DL3002": "CM006", "DL3025": "CM007", "DL3020": "CM015"}
TRIVY = {"DS-0001": "CM004", "DS-0002": "CM006", "DS-0026": "CM009", "DS-0005": "CM015"}


def is_dockerfile(name):
    return name in ("Dockerfile", "Containerfile") or name.startswith("Dockerfile.") or name.endswith(".Dockerfile")


def stage(entry, cache, into):
    """The entry's build context as check reads a project: the context directory, with the
    entry's Dockerfile as its only Dockerfile, at the top."""
    snapshot = Path(cache) / entry["repo"].replace("/", "+") / entry["commit"]
    context = snapshot / entry["context"]
    if not context.is_dir():
        sys.exit(f"{entry['id']}: {context} is missing; make the cache first (README.md)")
    shutil.copytree(context, into, symlinks=True)
    # check also reads Dockerfiles in subdirectories; only the entry's is measured.
    for child in list(into.rglob("*")):
        if is_dockerfile(child.name) and not child.is_dir():
            child.unlink()
    (into / "Dockerfile").write_bytes((snapshot / entry["dockerfile"]).read_bytes())


def stage_repository(entry, cache, into, sparse=False):
    """The entry's whole snapshot, as a checkout of the project is: `check` is pointed at the
    repository's root, with the Dockerfile where it is. `sparse` keeps only the files at the
    root and the entry's Dockerfile, as a sparse checkout or a trimmed build context has them:
    the workspace members are missing."""
    snapshot = Path(cache) / entry["repo"].replace("/", "+") / entry["commit"]
    if not snapshot.is_dir():
        sys.exit(f"{entry['id']}: {snapshot} is missing; make the cache first (README.md)")
    if not sparse:
        shutil.copytree(snapshot, into, symlinks=True)
        return
    into.mkdir(parents=True)
    for child in snapshot.iterdir():
        if not child.is_dir():
            shutil.copy2(child, into / child.name, follow_symlinks=False)
    dockerfile = into / entry["dockerfile"]
    dockerfile.parent.mkdir(parents=True, exist_ok=True)
    if not dockerfile.exists():
        shutil.copy2(snapshot / entry["dockerfile"], dockerfile)


def in_context(entry, path):
    """Whether a finding's file belongs to what the entry labels: its Dockerfile, the files at
    its context's root (compose, ignore files, Cargo.toml) and the manifests below it."""
    context = "" if entry["context"] in (".", "") else entry["context"].strip("/") + "/"
    if path in (entry["dockerfile"], entry["dockerfile"] + ".dockerignore"):
        return True
    if not path.startswith(context):
        return False
    rest = path[len(context):]
    return ("/" not in rest and not is_dockerfile(rest)) or rest.endswith("Cargo.toml")


def run_check(binary, project, entry=None):
    result = subprocess.run(
        [binary, "check", str(project), "--format", "json"], capture_output=True, text=True
    )
    if result.returncode not in (0, 1):
        return None, result.stderr.strip().splitlines()[-1:] or ["exit %d" % result.returncode]
    findings = json.loads(result.stdout)["findings"]
    if entry is not None:
        findings = [f for f in findings if in_context(entry, f["file"])]
    return [(f["rule"], f"{f['file']}:{f['line']} {f['message']}") for f in findings], None


def run_hadolint(project):
    result = subprocess.run(
        ["hadolint", "--format", "json", "--no-fail", str(project / "Dockerfile")],
        capture_output=True, text=True,
    )
    found = json.loads(result.stdout or "[]")
    return [(HADOLINT[f["code"]], f"{f['code']} line {f['line']}") for f in found if f["code"] in HADOLINT]


def run_trivy(project):
    result = subprocess.run(
        ["trivy", "config", "--skip-check-update", "--quiet", "-f", "json", str(project)],
        capture_output=True, text=True,
    )
    found = []
    for target in json.loads(result.stdout or "{}").get("Results", []):
        # trivy also scans Dockerfiles deeper in the context; only the entry's counts.
        if target.get("Type") != "dockerfile" or target.get("Target") != "Dockerfile":
            continue
        for misconfiguration in target.get("Misconfigurations", []):
            rule = TRIVY.get(misconfiguration["ID"])
            if rule:
                line = misconfiguration.get("CauseMetadata", {}).get("StartLine")
                found.append((rule, f"{misconfiguration['ID']} line {line}"))
    return found


def score(entries, results):
    """Per rule: labelled, found (true positives), false positives, files scored."""
    table = {rule: Counter() for rule in RULES}
    misses, alarms = {rule: [] for rule in RULES}, {rule: [] for rule in RULES}
    for entry in entries:
        found = results[entry["id"]]
        if found is None:
            continue
        unknown = {item["rule"] for item in entry.get("unknown", [])}
        labelled = Counter(defect["rule"] for defect in entry["defects"])
        by_rule = {}
        for rule, text in found:
            by_rule.setdefault(rule, []).append(text)
        for rule in RULES:
            if rule in unknown:
                continue
            want, got = labelled[rule], len(by_rule.get(rule, []))
            hit = min(want, got)
            table[rule].update(labelled=want, found=hit, false=got - hit, files=1)
            if hit < want:
                reasons = [d["why"] for d in entry["defects"] if d["rule"] == rule]
                misses[rule].append((entry["id"], want - hit, reasons))
            if got > hit:
                alarms[rule].append((entry["id"], got - hit, by_rule[rule]))
    return table, misses, alarms


def ratio(part, whole):
    return f"{100 * part / whole:.0f}%" if whole else "-"


def per_ten(false, files):
    return f"{10 * false / files:.1f}" if files else "-"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cache", help="directory holding <owner>+<name>/<commit>/ snapshots")
    parser.add_argument("--check", default=None, help="the cargo-microservice binary")
    parser.add_argument("--corpus", action="append", help="a corpus file (repeatable; default corpus.toml)")
    parser.add_argument("--heldout", action="store_true", help="measure heldout.toml")
    parser.add_argument("--hadolint", action="store_true", help="also run hadolint (on PATH)")
    parser.add_argument("--trivy", action="store_true", help="also run `trivy config` (on PATH)")
    parser.add_argument("--details", action="store_true", help="list every miss and false alarm")
    parser.add_argument("--json", help="write every tool's findings per entry to this file")
    parser.add_argument("--as-projects", action="store_true",
                        help="check each repository's root, the Dockerfile beside its Cargo.toml")
    parser.add_argument("--sparse", action="store_true",
                        help="with --as-projects: only the root's files and the Dockerfile, members missing")
    args = parser.parse_args()

    binary = args.check or str(HERE.parents[3] / "target" / "debug" / "cargo-microservice")
    if not Path(binary).exists() and shutil.which(binary) is None:
        sys.exit(f"{binary} not found: build it (cargo build -p cargo-microservice) or pass --check")
    corpora = args.corpus or []
    if args.heldout:
        corpora.append(str(HERE / "heldout.toml"))
    corpora = corpora or [str(HERE / "corpus.toml")]
    if len(corpora) > 1:
        if args.hadolint or args.trivy or args.json:
            sys.exit("--hadolint, --trivy and --json take one corpus")
        return side_by_side(binary, args.cache, corpora, args.details)
    return measure(binary, args.cache, corpora[0], args)


def run_entries(binary, cache, entries, args):
    """Every tool's findings per entry id, and the entries check failed on."""
    tools = ["check"] + (["hadolint"] if args.hadolint else []) + (["trivy"] if args.trivy else [])
    results = {tool: {} for tool in tools}
    errors = []
    with tempfile.TemporaryDirectory(prefix="real-world-") as scratch:
        for entry in entries:
            project = Path(scratch) / entry["id"]
            if getattr(args, "as_projects", False):
                stage_repository(entry, cache, project, getattr(args, "sparse", False))
                found, error = run_check(binary, project, entry)
            else:
                stage(entry, cache, project)
                found, error = run_check(binary, project)
            results["check"][entry["id"]] = found
            if error:
                errors.append(f"{entry['id']}: check failed: {' '.join(error)}")
            if args.hadolint:
                results["hadolint"][entry["id"]] = run_hadolint(project)
            if args.trivy:
                results["trivy"][entry["id"]] = run_trivy(project)
    return tools, results, errors


def print_details(misses, alarms):
    for rule in RULES:
        if not misses[rule] and not alarms[rule]:
            continue
        print(f"\n## {rule}")
        for entry_id, count, reasons in misses[rule]:
            print(f"- missed {count} in {entry_id}: " + " / ".join(reasons))
        for entry_id, count, texts in alarms[rule]:
            print(f"- {count} false in {entry_id}: " + " / ".join(texts))


def side_by_side(binary, cache, corpora, details):
    """check alone on several corpora, one column group per corpus."""
    class Only:
        hadolint = trivy = as_projects = sparse = False
    scored = []
    for corpus in corpora:
        entries = tomllib.loads(Path(corpus).read_text())["entry"]
        _, results, errors = run_entries(binary, cache, entries, Only)
        for error in errors:
            print(f"ERROR {Path(corpus).name}: {error}")
        scored.append((Path(corpus).name, len(entries), score(entries, results["check"]), bool(errors)))
    header, rule_line = "| rule |", "| --- |"
    for name, files, _, _ in scored:
        header += f" {name} labelled | found | recall | false | FP/10 |"
        rule_line += " --- | --- | --- | --- | --- |"
    print(header)
    print(rule_line)
    totals = [Counter() for _ in scored]
    for rule in RULES:
        line = f"| {rule} |"
        for (name, files, (table, _, _), _), total in zip(scored, totals):
            row = table[rule]
            total.update(row)
            line += (f" {row['labelled']} | {row['found']} | {ratio(row['found'], row['labelled'])} |"
                     f" {row['false']} | {per_ten(row['false'], row['files'])} |")
        print(line)
    line = "| all |"
    for (name, files, _, _), total in zip(scored, totals):
        line += (f" {total['labelled']} | {total['found']} | {ratio(total['found'], total['labelled'])} |"
                 f" {total['false']} | {per_ten(total['false'], files)} |")
    print(line)
    if details:
        for name, _, (_, misses, alarms), _ in scored:
            print(f"\n# {name}")
            print_details(misses, alarms)
    return 1 if any(failed for *_, failed in scored) else 0


def measure(binary, cache, corpus, args):
    entries = tomllib.loads(Path(corpus).read_text())["entry"]
    tools, results, errors = run_entries(binary, cache, entries, args)
    scored = {tool: score(entries, results[tool]) for tool in tools}
    mapped = {"check": set(RULES), "hadolint": set(HADOLINT.values()), "trivy": set(TRIVY.values())}
    header = "| rule | labelled | check found | recall | false | FP/10 files |"
    rule_line = "| --- | --- | --- | --- | --- | --- |"
    for tool in tools[1:]:
        header += f" {tool} found | {tool} false |"
        rule_line += " --- | --- |"
    print(f"{len(entries)} files, {sum(len(e['defects']) for e in entries)} labelled defects\n")
    print(header)
    print(rule_line)
    totals = {tool: Counter() for tool in tools}
    for rule in RULES:
        row = scored["check"][0][rule]
        line = (f"| {rule} | {row['labelled']} | {row['found']} | {ratio(row['found'], row['labelled'])} |"
                f" {row['false']} | {per_ten(row['false'], row['files'])} |")
        for tool in tools:
            if rule in mapped[tool]:
                totals[tool].update(scored[tool][0][rule])
        for tool in tools[1:]:
            other = scored[tool][0][rule]
            line += (f" {other['found']} | {other['false']} |" if rule in mapped[tool] else " - | - |")
        print(line)
    total = totals["check"]
    line = (f"| all | {total['labelled']} | {total['found']} | {ratio(total['found'], total['labelled'])} |"
            f" {total['false']} | {per_ten(total['false'], len(entries))} |")
    for tool in tools[1:]:
        line += f" {totals[tool]['found']} | {totals[tool]['false']} |"
    print(line)
    for tool in tools[1:]:
        covered = sum(scored["check"][0][rule]["labelled"] for rule in mapped[tool])
        ours = sum(scored["check"][0][rule]["found"] for rule in mapped[tool])
        print(f"\n{tool} makes the claim of {len(mapped[tool])} rules ({covered} labelled defects): "
              f"it finds {totals[tool]['found']} of them with {totals[tool]['false']} false alarms, "
              f"check finds {ours}; over all {total['labelled']} labelled defects {tool} finds "
              f"{ratio(totals[tool]['found'], total['labelled'])}, check {ratio(total['found'], total['labelled'])}.")
    for error in errors:
        print(f"\nERROR {error}")

    if args.details:
        _, misses, alarms = scored["check"]
        print_details(misses, alarms)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 1 if errors else 0




if __name__ == "__main__":
    sys.exit(main())
