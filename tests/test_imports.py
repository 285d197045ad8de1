"""spinemm's modules import each other without a circle (issue 29): every
shared piece has one home below the modules that use it. Module-level and
function-level imports both count; a package's ``__init__`` (which only
re-exports) does not."""
import ast
import os
import os.path as osp

from conftest import ROOT


def _graph():
    root = osp.join(ROOT, 'spinemm')
    mods = {}
    for folder, _, files in os.walk(root):
        for f in files:
            if f.endswith('.py'):
                path = osp.join(folder, f)
                name = osp.relpath(path, ROOT)[:-3].replace(os.sep, '.')
                mods[name[:-9] if name.endswith('.__init__') else name] = path
    edges = {m: set() for m in mods}
    for m, path in mods.items():
        pkg = m if path.endswith('__init__.py') else m.rsplit('.', 1)[0]
        for node in ast.walk(ast.parse(open(path).read())):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    parts = pkg.split('.')
                    parts = parts[:len(parts) - node.level + 1]
                    target = '.'.join(parts + ([node.module]
                                               if node.module else []))
                else:
                    target = node.module or ''
                names = [target] + [f'{target}.{a.name}' for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            edges[m].update(n for n in names if n in mods and n != m)
    packages = {m for m, p in mods.items() if p.endswith('__init__.py')}
    return {m: {n for n in e if n not in packages}
            for m, e in edges.items() if m not in packages}


def _cycles(edges):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in edges:
        if v not in index:
            visit(v)
    return out


def test_no_module_of_spinemm_imports_itself_through_another():
    edges = _graph()
    assert 'spinemm.apis.onnx_files' in edges['spinemm.apis.onnx_detector']
    assert _cycles(edges) == []
    # the check finds a circle when there is one
    edges['spinemm.utils.manifest'] = {'spinemm.utils.outputs'}
    assert _cycles(edges) == [['spinemm.utils.atomic',
                               'spinemm.utils.manifest',
                               'spinemm.utils.outputs']]
