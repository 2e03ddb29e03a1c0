"""Writes corpus.toml and heldout.toml from the checklist reader's proposals and the review's
changes (REVIEW below), with provenance."""
import io, os, re, subprocess, sys, contextlib
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from sets import SETS
import aid

# The review: what the reader proposes and a person labels otherwise, with the reason.
PINNED_RELEASES = ['gb-frontend:v5', 'emojivoto-web:v11', 'emojivoto-voting-svc:v11', 'emojivoto-emoji-svc:v11',
    'registry.k8s.io/redis:v1', 'guestbook:v3', 'resouer/sample:v1', 'resouer/sample:v2', 'azure-vote-front:v1',
    'cassandra:v14', 'hello-wasm:v1', 'redis-slave:v2', 'gb-redisslave:v1', 'documentdb-local:pg17-0.112.0']
SECRETS = {
  'aks-store-demo': [('Deployment/order-service', 'ORDER_QUEUE_PASSWORD'), ('Deployment/makeline-service', 'ORDER_QUEUE_PASSWORD'), ('Deployment/makeline-service', 'ORDER_DB_PASSWORD'), ('StatefulSet/rabbitmq', 'RABBITMQ_DEFAULT_PASS')],
  'voting-app': [('Deployment/db', 'POSTGRES_PASSWORD')],
  'sock-shop': [('Deployment/catalogue-db', 'MYSQL_ROOT_PASSWORD')],
  'k8s-mysql-cinder': [('Pod/mysql', 'MYSQL_ROOT_PASSWORD')],
  'aks-store-quickstart': [('StatefulSet/rabbitmq', 'RABBITMQ_DEFAULT_PASS'), ('Deployment/order-service', 'ORDER_QUEUE_PASSWORD')],
  'k8s-minio': [('StatefulSet/minio', 'MINIO_SECRET_KEY'), ('Deployment/minio-deployment', 'MINIO_SECRET_KEY')],
  'k8s-mysql-galera': [(f'ReplicationController/pxc-node{n}', v) for n in (1, 2, 3) for v in ('WSREP_SST_PASSWORD', 'MYSQL_PASSWORD', 'MYSQL_ROOT_PASSWORD')],
  'bank-of-anthos': [('ConfigMap/accounts-db-config', 'POSTGRES_PASSWORD'), ('ConfigMap/demo-data-config', 'DEMO_LOGIN_PASSWORD'), ('ConfigMap/ledger-db-config', 'POSTGRES_PASSWORD'), ('ConfigMap/ledger-db-config', 'SPRING_DATASOURCE_PASSWORD')],
}
NOTES = {
  'kustomize-wordpress': 'patch.yaml is a strategic merge patch of Deployment/wordpress: its init container (debian, no tag) is part of that workload.',
  'petclinic-cloud': 'Images are written with an envsubst placeholder (${REPOSITORY_PREFIX}) and :latest, labelled as written.',
  'vector-agent': 'The readiness probe calls 8686, which the container does not list in `ports`; vector.yaml (the ConfigMap) opens its API on 0.0.0.0:8686, so the probe works: not a probe-port defect.',
  'vector-aggregator': 'As vector-agent: the probed 8686 is vector\'s API, opened by its configuration though not listed in `ports`.',
  'vector-stateless-aggregator': 'As vector-agent: the probed 8686 is vector\'s API, opened by its configuration though not listed in `ports`.',
  'bank-of-anthos': 'Probes call 8080 on containers that list no port: each service listens on 8080 (its PORT), so they work. `capabilities.drop: [all]` in lower case is refused by Pod Security "restricted", so every container is labelled for capabilities.',
  'deps-rs': 'The liveness probe calls /repo/github/deps-rs/deps.rs, which the code routes by the pattern `/repo/{site:.+?}/{qual}/{name}`: not a probe-path defect.',
  'rust-k8s-demo': 'Images are untagged: skaffold.yaml sets them at deploy time, but `kubectl apply -f manifests` runs :latest.',
  'krustlet-demos': 'Bare Pods without restartPolicy restart Always, so they are long-running and labelled for probes.',
}
CODE = {'rust-k8s-demo', 'controller-rs', 'version-rs', 'deps-rs', 'limitador', 'limitador-e2e', 'actix-k8s-test', 'grpc-metrics-example'}

def proposals(id_):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        aid.main([id_])
    text = out.getvalue().split('  PROPOSED:\n')[1]
    for line in text.splitlines():
        label, rest = line.strip().split(None, 1)
        where, _, detail = rest.partition('  ')
        yield label, where.strip(), detail.strip()

def q(s): return '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'

def workload(where):
    # "file Kind/name container c" -> "Kind/name", container
    parts = where.split()
    return parts[1], ' '.join(parts[3:])

HEADERS = {False: """# The Kubernetes corpus: 31 manifest sets of public projects (Rust services first), labelled
# from CHECKLIST.md before `check` ran on any of them. heldout.toml holds 20 more, labelled and
# committed at the same time, that are measured only after the rules are tuned on this file.
#
# Each [[entry]] names the manifests (files or directories) at a commit, the directory of the
# service's code when it is in the same repository (`context`: its Dockerfile, Cargo.toml and
# .rs files are staged beside the manifests), and every defect of the checklist's classes.
# Conventions:
# - A label of the checklist listed neither in `defects` nor in `unknown` is clean for the entry.
# - `workload` is Kind/name; `container` the container (init containers too) where the class
#   is per container. Scoring counts per (entry, label, workload), so a tool that reports per
#   workload and one that reports per container are counted alike.
# - `unknown` labels are left out of recall and false alarms: probe paths where the code is not
#   in the repository, VOLUMEs where no Dockerfile is.
# Judgement calls, made before measuring:
# - An image versioned by one number, `v5`, `v11` (gb-frontend, emojivoto, registry.k8s.io/redis
#   v1), is that image's release and pins; a bare major of software with minor releases
#   (`postgres:15-alpine`) floats. A tag with no version at all (`redis:alpine`, `e2e`,
#   `talker-api`, `elastic`, `beta`) floats.
# - A probe on a port the process opens but `ports` does not list works (vector's 8686, bank of
#   anthos's 8080): not a defect.
# - A bare Pod without restartPolicy restarts Always: long-running, so probes are labelled.
# - Untagged images that a deploy tool (skaffold) tags at deploy time are labelled as written.
# - Placeholders (`<YOUR-CONTAINER>`) are labelled as written.
# Labels were proposed by labelling/aid.py (a reader of CHECKLIST.md, written for this and
# sharing no code with check) and reviewed by hand; labelling/gen.py records the review's
# changes (REVIEW, SECRETS, NOTES). No file of these projects is in this repository.
""", True: """# The held-out Kubernetes sets: 20 manifest sets labelled from CHECKLIST.md and committed with
# corpus.toml, before `check` ran on any of them, and measured only after the rules were tuned
# on corpus.toml. Same format, conventions and judgement calls as corpus.toml. Five share a
# repository with a corpus entry (other directories of it); fifteen are repositories the corpus
# does not have. The last four were added, labelled and committed in a second step, still
# before check ran on any held-out file.
# - A kustomize patch (kustomize-wordpress's patch.yaml) is labelled as part of the workload it
#   patches: the unit is the workload, which both files name.
"""}

for held, name in ((False, 'corpus.toml'), (True, 'heldout.toml')):
    out = [HEADERS[held]]
    for (id_, repo, paths, context, h) in SETS:
        if h != held: continue
        commit = [l.split()[1] for l in open(os.path.join(HERE, 'commits.txt')) if l.split()[0] == id_][0]
        defects = []
        for label, where, detail in proposals(id_):
            if label == 'floating-tag' and any(p in detail.rsplit(': ', 1)[0] for p in PINNED_RELEASES):
                continue
            wl, container = workload(where)
            why = {'privilege-escalation': 'allowPrivilegeEscalation is not false',
                   'non-root': 'runAsNonRoot: true is set neither on the container nor on the pod',
                   'root-uid': 'runAsUser is 0', 'seccomp': f'seccompProfile.type is {detail}',
                   'capabilities': detail, 'host-access': detail, 'writable-root': f'readOnlyRootFilesystem is {detail}',
                   'probes': f'a long-running container without {detail}', 'probe-port': detail,
                   'resources': f'missing {detail}', 'floating-tag': detail, 'grace-period': detail}[label]
            defects.append((label, wl, container, why))
        for wl, var in SECRETS.get(id_, []):
            defects.append(('plaintext-secret', wl, '', f'{var} is a literal value, not a Secret'))
        unknown = []
        if id_ not in CODE:
            unknown.append(('probe-path', 'the service\'s code is not in the repository'))
            unknown.append(('volume-under-read-only-root', 'no Dockerfile of the image is in the repository'))
        out.append('[[entry]]')
        out.append(f'id = {q(id_)}')
        out.append(f'repo = {q(repo)}')
        out.append(f'commit = {q(commit)}')
        out.append('manifests = [' + ', '.join(q(p) for p in paths) + ']')
        if context: out.append(f'context = {q(context)}')
        out.append('defects = [')
        for label, wl, container, why in defects:
            c = f', container = {q(container)}' if container else ''
            out.append(f'  {{ label = {q(label)}, workload = {q(wl)}{c}, why = {q(why)} }},')
        out.append(']')
        out.append('unknown = [' + ', '.join(f'{{ label = {q(l)}, why = {q(w)} }}' for l, w in unknown) + ']')
        if id_ in NOTES: out.append(f'notes = {q(NOTES[id_])}')
        out.append('')
    open(os.path.join(HERE, '..', name), 'w').write('\n'.join(out))
