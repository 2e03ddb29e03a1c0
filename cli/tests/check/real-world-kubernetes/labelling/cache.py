import os, re, subprocess, sys
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from sets import SETS
CACHE = os.environ.get('CACHE', '/work/k8s-cache')
def mirror(repo): return f"/work/.mirror/{repo.replace('/', '+')}/repo"
for (id_, repo, paths, context, held) in SETS:
    git = ['git', '-C', mirror(repo)]
    commit = subprocess.run(git + ['rev-parse', 'HEAD'], capture_output=True, text=True).stdout.strip()
    listing = subprocess.run(git + ['ls-tree', '-r', '-z', commit], capture_output=True).stdout.decode()
    for record in filter(None, listing.split('\0')):
        meta, path = record.split('\t', 1)
        mode, kind, sha = meta.split()
        if kind != 'blob': continue
        manifest = any(path == p or path.startswith(p + '/') for p in paths) and re.search(r'\.ya?ml$', path)
        code = context is not None and (context == '.' or path.startswith(context + '/')) and re.search(r'(^|/)(Dockerfile[^/]*|Cargo\.toml|[^/]*\.rs)$', path) and '/target/' not in path
        if not (manifest or code): continue
        target = f"{CACHE}/{repo.replace('/', '+')}/{commit}/{path}"
        if os.path.lexists(target): continue
        os.makedirs(os.path.dirname(target), exist_ok=True)
        blob = subprocess.run(git + ['cat-file', 'blob', sha], capture_output=True).stdout
        if mode == '120000': os.symlink(blob.decode(), target)
        else: open(target, 'wb').write(blob)
    print(id_, commit)
# commits.txt is this script's output when the labels were made: `python3 cache.py > commits.txt`.
