"""A reader of the checklist, independent of check: prints each workload's facts and the
labels the checklist gives them, for a person to review before they are committed."""
import os, re, sys, yaml
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from sets import SETS
CACHE = os.environ.get('CACHE', '/work/k8s-cache')
ALLOWED_VOLUMES = {"configMap","csi","downwardAPI","emptyDir","ephemeral","persistentVolumeClaim","projected","secret"}
WORKLOADS = {"Deployment","StatefulSet","DaemonSet","ReplicaSet","ReplicationController","Job","CronJob","Pod"}
SECRETY = re.compile(r'(PASS|SECRET|TOKEN|PWD|API_?KEY|PRIVATE_?KEY|CREDENTIAL)', re.I)

def floating(image, overrides):
    name = image.split('@')[0]
    if '@' in image: return None
    last = name.rsplit('/', 1)[-1]
    repo, tag = (name.rsplit(':', 1) if ':' in last else (name, None))
    if repo in overrides:
        o = overrides[repo]
        if o.startswith('@'): return None
        tag = o[1:]
    if tag is None: return 'no tag'
    if tag == 'latest': return 'latest'
    first = tag.split('-')[0].lstrip('v')
    if re.match(r'^\d+\.\d+', first): return None
    if re.match(r'^\d+$', first):
        base = repo.rsplit('/',1)[-1]
        if base in ('debian',) : return None
        return f'major-only {tag}'
    words = re.split(r'[-._]', tag.lower())
    if any(w in ('bookworm','bullseye','buster','trixie','stretch','jammy','focal','noble','nonroot') for w in words): return None
    if re.search(r'\d{8}|\d{4}-\d{2}-\d{2}|[0-9a-f]{7,}', tag): return None
    return f'variant-only or rolling {tag}'

def load(files):
    docs = []
    for f in files:
        try:
            for d in yaml.safe_load_all(open(f)):
                if isinstance(d, dict): docs.append((f, d))
        except Exception as e:
            print(f'  !! {f}: does not parse: {str(e).splitlines()[0]}')
    return docs

def pod_spec(kind, d):
    spec = d.get('spec') or {}
    if kind == 'Pod': return spec
    if kind == 'CronJob': return (((spec.get('jobTemplate') or {}).get('spec') or {}).get('template') or {}).get('spec')
    return (spec.get('template') or {}).get('spec')

def main(only=None):
    for (id_, repo, paths, context, held) in SETS:
        if only and id_ not in only: continue
        commit = [l.split()[1] for l in open(os.path.join(HERE, 'commits.txt')) if l.split()[0] == id_][0]
        root = f"{CACHE}/{repo.replace('/', '+')}/{commit}"
        files = []
        for p in paths:
            full = os.path.join(root, p)
            if os.path.isfile(full): files.append(full)
            else:
                for dp, dn, fn in os.walk(full):
                    files += [os.path.join(dp, f) for f in fn if re.search(r'\.ya?ml$', f)]
        files.sort()
        print(f'\n##### {id_} ({repo}) heldout={held}')
        docs = load(files)
        overrides = {}
        for f, d in docs:
            if d.get('kind') == 'Kustomization':
                for im in d.get('images') or []:
                    if im.get('digest'): overrides[im['name']] = '@' + im['digest']
                    elif im.get('newTag') is not None: overrides[im['name']] = ':' + str(im['newTag'])
                    elif im.get('newName'): pass
        labels = []
        for f, d in docs:
            kind = d.get('kind')
            rel = os.path.relpath(f, root)
            if kind == 'ConfigMap':
                for k, v in (d.get('data') or {}).items():
                    if SECRETY.search(k) and v: print(f'  ?? ConfigMap {d["metadata"].get("name")} {k} = {str(v)[:40]!r}')
            if kind not in WORKLOADS: continue
            ps = pod_spec(kind, d)
            if not ps: continue
            name = (d.get('metadata') or {}).get('name')
            where = f'{rel} {kind}/{name}'
            psc = ps.get('securityContext') or {}
            print(f'  {where}: podSC={psc} restart={ps.get("restartPolicy")} grace={ps.get("terminationGracePeriodSeconds")} hostNet={ps.get("hostNetwork")}')
            for ns in ('hostNetwork','hostPID','hostIPC'):
                if ps.get(ns) is True: labels.append(('host-access', where, ns))
            for v in ps.get('volumes') or []:
                t = [k for k in v if k != 'name']
                if t and t[0] not in ALLOWED_VOLUMES: labels.append(('host-access', where, f'volume {v.get("name")} {t[0]}'))
            runs_once = kind in ('Job','CronJob') or (kind == 'Pod' and ps.get('restartPolicy') in ('Never','OnFailure'))
            for init, c in [(True, c) for c in ps.get('initContainers') or []] + [(False, c) for c in ps.get('containers') or []]:
                sc = c.get('securityContext') or {}
                cw = f'{where} container {c.get("name")}' + (' (init)' if init else '')
                ports = c.get('ports') or []
                print(f'    {"init " if init else ""}{c.get("name")} image={c.get("image")} sc={sc} res={c.get("resources")} ports={[(p.get("name"), p.get("containerPort"), p.get("hostPort")) for p in ports]}')
                for pn in ('livenessProbe','readinessProbe','startupProbe'):
                    if c.get(pn): print(f'      {pn}: {c[pn]}')
                if c.get('args') or c.get('command'): print(f'      cmd={c.get("command")} args={c.get("args")}')
                if sc.get('allowPrivilegeEscalation') is not False: labels.append(('privilege-escalation', cw, ''))
                nonroot = sc.get('runAsNonRoot', psc.get('runAsNonRoot'))
                if nonroot is not True: labels.append(('non-root', cw, ''))
                uid = sc.get('runAsUser', psc.get('runAsUser'))
                if uid == 0: labels.append(('root-uid', cw, ''))
                sec = (sc.get('seccompProfile') or psc.get('seccompProfile') or {}).get('type')
                if sec not in ('RuntimeDefault','Localhost'): labels.append(('seccomp', cw, str(sec)))
                caps = sc.get('capabilities') or {}
                if 'ALL' not in (caps.get('drop') or []): labels.append(('capabilities', cw, f'drop={caps.get("drop")}'))
                for a in caps.get('add') or []:
                    if a != 'NET_BIND_SERVICE': labels.append(('capabilities', cw, f'add {a}'))
                if sc.get('privileged') is True: labels.append(('host-access', cw, 'privileged'))
                for p in ports:
                    if p.get('hostPort'): labels.append(('host-access', cw, f'hostPort {p["hostPort"]}'))
                if sc.get('readOnlyRootFilesystem') is not True: labels.append(('writable-root', cw, str(sc.get('readOnlyRootFilesystem'))))
                if not init and not runs_once:
                    missing = [p for p in ('livenessProbe','readinessProbe') if not c.get(p)]
                    if missing: labels.append(('probes', cw, '+'.join(missing)))
                for pn in ('livenessProbe','readinessProbe','startupProbe'):
                    pr = c.get(pn) or {}
                    act = pr.get('httpGet') or pr.get('tcpSocket')
                    if act and 'port' in act:
                        port = act['port']
                        if isinstance(port, str) and not port.isdigit():
                            if port not in [p.get('name') for p in ports]: labels.append(('probe-port', cw, f'{pn} named port {port} not among ports'))
                        else:
                            if int(port) not in [p.get('containerPort') for p in ports]: print(f'      REVIEW probe-port: {pn} number {port} not in ports')
                res = c.get('resources') or {}
                have = {f'{g}.{k}' for g in ('requests','limits') for k in (res.get(g) or {})}
                miss = [w for w in ('requests.cpu','requests.memory','limits.cpu','limits.memory') if w not in have]
                if miss: labels.append(('resources', cw, ','.join(miss)))
                if c.get('image'):
                    why = floating(str(c['image']), overrides)
                    if why: labels.append(('floating-tag', cw, f'{c["image"]}: {why}'))
                for e in c.get('env') or []:
                    if 'value' in e and e.get('value') and SECRETY.search(e.get('name','')):
                        print(f'      ?? env {e["name"]}={str(e["value"])[:40]!r}')
                grace = ps.get('terminationGracePeriodSeconds', 30)
                pre = ((((c.get('lifecycle') or {}).get('preStop') or {}).get('sleep') or {}).get('seconds')) or 0
                st = next((int(e['value']) for e in c.get('env') or [] if e.get('name') == 'SHUTDOWN_TIMEOUT' and str(e.get('value','')).isdigit()), 0)
                if not init and grace is not None and grace <= pre + st: labels.append(('grace-period', cw, f'{grace} <= {pre}+{st}'))
        print('  PROPOSED:')
        for l in labels: print(f'    {l[0]:22} {l[1]}  {l[2]}')

if __name__ == '__main__':
    main(sys.argv[1:] or None)
