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
import contextlib
import fcntl
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


def _read_manifest(folder):
    try:
        with open(_manifest_path(folder)) as f:
            data = json.load(f)
        files = data.get('files', {})
        return files if isinstance(files, dict) else {}
    except (OSError, ValueError, AttributeError):
        return {}


@contextlib.contextmanager
def _folder_lock(folder):
    """An exclusive lock on ``folder`` (flock on its descriptor), so that two
    runs writing into one folder do not lose each other's manifest rows."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


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


def _replace_text(path, text):
    """Write ``text`` to ``path`` through a temporary file beside it."""
    import tempfile
    folder = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix='.' + os.path.basename(path) + '.',
                               suffix='.tmp', dir=folder)
    try:
        with os.fdopen(fd, 'w') as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def record_written(path):
    """Add ``path`` (just written by spinemm) to its folder's manifest."""
    path = os.path.abspath(path)
    folder, name = os.path.split(path)
    if name == MANIFEST:
        return
    with _folder_lock(folder):
        files = _read_manifest(folder)
        files[name] = _signature(path)
        _replace_text(_manifest_path(folder),
                            json.dumps(dict(files=files), indent=0))


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
