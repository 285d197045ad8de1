"""Which files did spinemm write? The per-folder manifest.

Every file a spinemm tool writes goes through :func:`spinemm.utils.atomic_file`
(a temporary name, renamed into place when complete), which also records it
in the folder's manifest, :data:`MANIFEST`: its name, size and modification
time. A file counts as spinemm's (:func:`spinemm_wrote`) while the manifest
lists it with the size and time it has now: a file the user put there, or
edited, or copied over spinemm's, is the user's, and :func:`check_may_write`
refuses to replace it unless told to. The lowest layer of the output rule
(:mod:`spinemm.utils.outputs`); it imports nothing of spinemm.
"""
import json
import os

#: per-folder record of the files spinemm wrote there
MANIFEST = '.spinemm-files.json'

#: paths a checked ``OutputPlan`` with ``overwrite`` allows replacing
#: (the writers deep in the package need not be told)
_approved = set()


class OutputExistsError(FileExistsError):
    """An output path exists and may not be replaced."""


def _manifest_path(folder):
    return os.path.join(folder, MANIFEST)


#: parsed manifests, by (path, size, mtime_ns) of the manifest file
_cache = {}


def _read_manifest(folder):
    """``{name: [size, mtime_ns]}`` of a folder's manifest: one JSON list
    per line, appended as files are written; the last line of a name wins,
    and a line a crash cut short is skipped."""
    path = _manifest_path(folder)
    try:
        st = os.stat(path)
    except OSError:
        return {}
    key = (path, st.st_size, st.st_mtime_ns)
    if key not in _cache:
        files = {}
        try:
            with open(path) as f:
                for line in f:
                    try:
                        name, size, mtime = json.loads(line)
                        files[str(name)] = [int(size), int(mtime)]
                    except (ValueError, TypeError):
                        continue
        except OSError:
            return {}
        _cache.clear()  # one folder at a time is what the tools need
        _cache[key] = files
    return _cache[key]


def _signature(path):
    st = os.stat(path)
    return [st.st_size, st.st_mtime_ns]


def spinemm_wrote(path):
    """True when ``path`` is a file that spinemm wrote and nobody changed
    since (listed in its folder's manifest with its present size and
    modification time)."""
    path = os.path.abspath(path)
    if not os.path.isfile(path) or os.path.islink(path):
        return False
    entry = _read_manifest(os.path.dirname(path)).get(os.path.basename(path))
    try:
        return entry == _signature(path)
    except OSError:
        return False


def record_written(path):
    """Add ``path`` (just written by spinemm) to its folder's manifest: one
    line appended (a single small append: two runs writing into one folder
    do not lose each other's lines, and nothing is rewritten)."""
    path = os.path.abspath(path)
    folder, name = os.path.split(path)
    if name == MANIFEST:
        return
    line = json.dumps([name] + _signature(path)) + '\n'
    with open(_manifest_path(folder), 'a') as f:
        f.write(line)


def check_may_write(path, overwrite=False):
    """Raise :class:`OutputExistsError` when ``path`` exists and may not be
    replaced: a folder, or a file spinemm did not write (without
    ``overwrite``)."""
    if not os.path.lexists(path):
        return
    if os.path.isdir(path) and not os.path.islink(path):
        raise OutputExistsError(
            f'{path} is a folder: refusing to write a file in its place')
    if overwrite or os.path.abspath(path) in _approved \
            or spinemm_wrote(path):
        return
    raise OutputExistsError(
        f'{path} exists and spinemm did not write it (or it changed since): '
        'refusing to replace it. Choose another output, move the file away, '
        'or pass --overwrite to replace it')
