"""The output rule: a tool replaces a file only if spinemm wrote it.

Every file a spinemm tool writes goes through :func:`spinemm.utils.atomic_file`
(a temporary name, renamed into place when complete), which also records it
in the folder's manifest, :data:`MANIFEST`: its name, size and modification
time. A file counts as spinemm's (:func:`spinemm_wrote`) while the manifest
lists it with the size and time it has now: a file the user put there, or
edited, or copied over spinemm's, is the user's.

A tool plans its outputs first (:class:`OutputPlan`): every name of the run
is known before any compute, the plan refuses names that collide with each
other (also where only the case differs: macOS and Windows file systems are
case-insensitive) and names that are, lie in or hold an input, and then
refuses the whole run, naming the first file, when any planned file exists
and is not spinemm's, unless ``overwrite`` (``--overwrite``) is given.
:func:`atomic_file` applies the same ownership check at the moment of
writing, so a tool that forgot to plan still never replaces a user's file.
"""
import contextlib
import fcntl
import json
import os

#: per-folder record of the files spinemm wrote there
MANIFEST = '.spinemm-files.json'

#: paths a checked :class:`OutputPlan` with ``overwrite`` allows replacing
#: (the writers deep in the package need not be told)
_approved = set()


class OutputExistsError(FileExistsError):
    """An output path exists and may not be replaced."""


class OutputCollisionError(ValueError):
    """Two outputs of one run would get the same name."""


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


def record_written(path):
    """Add ``path`` (just written by spinemm) to its folder's manifest."""
    from .atomic import atomic_replace_text
    path = os.path.abspath(path)
    folder, name = os.path.split(path)
    if name == MANIFEST:
        return
    with _folder_lock(folder):
        files = _read_manifest(folder)
        files[name] = _signature(path)
        atomic_replace_text(_manifest_path(folder),
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


class OutputPlan:
    """The files one run of a tool will write, checked before it writes.

    Args:
        overwrite: replace files spinemm did not write (``--overwrite``).
        inputs: files or folders the run reads; no output may be, lie in
            or hold one of them, ``overwrite`` or not.

    Use :meth:`add` for every output name, then :meth:`check` once, before
    any compute; write with :meth:`file` / :meth:`write_json`.
    """

    def __init__(self, overwrite=False, inputs=(), paths=()):
        self.overwrite = overwrite
        self.inputs = [i for i in inputs if i is not None]
        self.paths = []
        self._keys = {}
        for path in paths:
            self.add(path)

    def add(self, path):
        """Plan ``path``; return it. Two planned names equal up to case are
        an :class:`OutputCollisionError` naming both."""
        path = os.path.abspath(path)
        key = os.path.normcase(path).lower()
        if key in self._keys:
            if self._keys[key] == path:
                return path
            raise OutputCollisionError(
                f'two outputs of this run would be named alike: '
                f'{self._keys[key]} and {path}')
        self._keys[key] = path
        self.paths.append(path)
        return path

    def check(self):
        """Refuse the run before anything is written: an output that is, lies
        in or holds an input, or exists and may not be replaced."""
        from .atomic import check_no_overlap, sweep_stale_files
        for path in self.paths:
            check_no_overlap(path, self.inputs)
        for path in self.paths:
            check_may_write(path, self.overwrite)
        for folder in sorted({os.path.dirname(p) for p in self.paths}):
            sweep_stale_files(folder)  # what a killed run left half-done
        if self.overwrite:
            _approved.update(self.paths)
        return self

    @contextlib.contextmanager
    def file(self, path, suffix='.tmp'):
        """:func:`spinemm.utils.atomic_file` for a planned ``path``."""
        from .atomic import atomic_file
        path = self.add(path)
        with atomic_file(path, suffix, overwrite=self.overwrite) as tmp:
            yield tmp

    def write_json(self, path, obj, **dump_kwargs):
        with self.file(path) as tmp, open(tmp, 'w') as f:
            json.dump(obj, f, **dump_kwargs)
