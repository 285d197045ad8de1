"""Write files and folders so that a reader never sees them half-done, and
never delete what spinemm did not write.

Everything spinemm's tools write goes to a temporary name beside the target
first and is renamed into place when complete (a rename is atomic on one file
system), so an interrupted run leaves either the old result or none.

Folders (:func:`atomic_dir`) carry a marker file, :data:`MARKER`, that names
the kind of output. An existing folder is replaced only when it holds the
marker of the same kind *and* the caller passed ``overwrite=True``; a folder
that spinemm did not write (no marker) is never touched, and an output inside
or above one of the run's inputs is refused before anything is written.
Temporary folders are named ``.<name>.spinemm-tmp-<pid>.<random>``; those of a
process that no longer runs (a kill) are swept on the next run.

Files and folders get the permissions the user's umask gives (``mkstemp`` and
``mkdtemp`` alone would make them private, 0600 / 0700).
"""
import contextlib
import json
import os
import re
import shutil
import tempfile
import time

from .errors import InputError
from .manifest import OutputExistsError, check_may_write, record_written

#: file inside every folder written by :func:`atomic_dir`
MARKER = '.spinemm-output.json'
_TMP_TAG = 'spinemm-tmp'
_OLD_TAG = 'spinemm-old'


class OutputOverlapError(ValueError):
    """An output path is, lies in or holds one of the run's inputs."""


@contextlib.contextmanager
def refusals_as_exit():
    """For command-line tools: a refused output or input
    (:class:`spinemm.utils.errors.InputError`: a checkpoint that does not
    fit, a volume that is not a CT, ...) becomes ``error: ...`` on stderr
    and exit status 1 instead of a traceback."""
    try:
        yield
    except (OutputExistsError, OutputOverlapError, InputError) as e:
        raise SystemExit(f'error: {e}') from None


def read_json(path, what='JSON file'):
    """Load a JSON file; errors name the file and say what it should be."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f'{what} not found: {path}')
    try:
        with open(path) as f:
            return json.load(f)
    except json.JSONDecodeError as e:
        raise ValueError(f'{path} is not valid JSON: {e}') from e


def _umask():
    """The process umask (read without changing it where /proc allows)."""
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('Umask:'):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _public(path, mode):
    """Give ``path`` ``mode`` less the umask (what ``open``/``mkdir`` do)."""
    os.chmod(path, mode & ~_umask())


@contextlib.contextmanager
def _temp_beside(path, suffix):
    """A temporary file beside ``path``, renamed to ``path`` when the block
    succeeds and removed when it fails; umask permissions."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f'.{os.path.basename(path)}.{_TMP_TAG}-{os.getpid()}.',
        suffix=suffix, dir=folder)
    os.close(fd)
    try:
        yield tmp
        if os.path.exists(tmp):
            _public(tmp, 0o666)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)


def atomic_replace_text(path, text):
    """Write ``text`` to ``path`` through a temporary file (no ownership
    check, no manifest row: for spinemm's own bookkeeping files)."""
    with _temp_beside(path, '.tmp') as tmp, open(tmp, 'w') as f:
        f.write(text)


@contextlib.contextmanager
def atomic_file(path, suffix='.tmp', overwrite=False):
    """Yield a temporary path beside ``path``; rename it to ``path`` when the
    block succeeds, remove it when it fails. ``suffix`` keeps writers that
    choose the format by extension (``.nii.gz``) happy. The file gets the
    umask's permissions.

    The output rule (:mod:`spinemm.utils.outputs`): an existing ``path``
    that spinemm did not write is refused (:class:`OutputExistsError`,
    before anything is written) unless ``overwrite``; the written file is
    recorded in its folder's manifest."""
    # inside the temporary folder of an atomic_dir (a dataset, a converter's
    # output): the whole folder is spinemm's and carries its MARKER
    in_new_dir = f'.{_TMP_TAG}-' in os.path.dirname(os.path.abspath(path))
    if not in_new_dir:
        check_may_write(path, overwrite)
    with _temp_beside(path, suffix) as tmp:
        yield tmp
    if not in_new_dir:
        record_written(path)


def atomic_write_json(path, obj, overwrite=False, **dump_kwargs) -> None:
    """Write ``obj`` as JSON to ``path`` through a temporary file (the
    output rule of :func:`atomic_file`)."""
    with atomic_file(path, overwrite=overwrite) as tmp, open(tmp, 'w') as f:
        json.dump(obj, f, **dump_kwargs)


def _real(path):
    return os.path.realpath(os.path.abspath(path))


def _within(child, parent):
    """True when ``child`` is ``parent`` or lies under it (real paths)."""
    child, parent = _real(child), _real(parent)
    return child == parent or child.startswith(parent.rstrip(os.sep) + os.sep)


def check_no_overlap(out, inputs, what='output', allow_inside=False):
    """Refuse an output that is, lies inside, or holds one of ``inputs``
    (files or folders): writing it could overwrite or delete the input.
    ``allow_inside`` permits an output folder inside an input folder (for a
    converter whose json names files relative to its input root); the
    output may then still not be the input itself."""
    for src in inputs or ():
        if src is None:
            continue
        if _within(out, src) and os.path.isdir(src) and not (
                allow_inside and _real(out) != _real(src)):
            raise OutputOverlapError(
                f'{what} {out} is inside the input {src}: choose a folder '
                'outside the input, so that the input is never overwritten')
        if _within(src, out):
            raise OutputOverlapError(
                f'{what} {out} is or holds the input {src}: choose a folder '
                'outside the input, so that the input is never overwritten')


def output_kind(path):
    """The kind recorded in ``path``'s marker, or None when spinemm did not
    write the folder (or it is not a folder)."""
    marker = os.path.join(path, MARKER)
    if not os.path.isfile(marker):
        return None
    try:
        with open(marker) as f:
            return json.load(f).get('kind')
    except (OSError, ValueError, AttributeError):
        return None


def check_replaceable(path, kind, overwrite=False):
    """Raise :class:`OutputExistsError` unless ``path`` is absent, an empty
    folder, or spinemm's own earlier output of ``kind`` with ``overwrite``."""
    if not os.path.lexists(path):
        return
    if os.path.isdir(path) and not os.path.islink(path) \
            and not os.listdir(path):
        return
    found = output_kind(path)
    if found is None:
        raise OutputExistsError(
            f'{path} exists and was not written by spinemm (no {MARKER}): '
            'refusing to replace it; choose another output folder, or move '
            'it away yourself')
    if found != kind:
        raise OutputExistsError(
            f'{path} holds spinemm output of another kind ({found!r}, not '
            f'{kind!r}): refusing to replace it; choose another folder')
    if not overwrite:
        raise OutputExistsError(
            f'{path} already holds spinemm {kind} output: pass --overwrite '
            '(overwrite=True) to replace it, or choose another folder')


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale(parent, base):
    """Remove the temporary folders that an interrupted (killed) run of an
    :func:`atomic_dir` for ``parent/base`` left behind. Only names of the
    form ``.<base>.spinemm-tmp-<pid>.*`` / ``spinemm-old`` whose process no
    longer runs are touched. Returns the removed paths."""
    pattern = re.compile(r'^\.' + re.escape(base) + r'\.(?:' + _TMP_TAG + '|'
                         + _OLD_TAG + r')-(\d+)\.[^/]+$')
    return _sweep(parent, pattern, os.path.isdir,
                  lambda p: shutil.rmtree(p, ignore_errors=True))


def _sweep(folder, pattern, is_kind, remove):
    """Remove the entries of ``folder`` whose name matches ``pattern`` (group
    1: the writer's pid), that ``is_kind`` accepts, and whose writer no
    longer runs."""
    removed = []
    if not os.path.isdir(folder):
        return removed
    for name in os.listdir(folder):
        m = pattern.match(name)
        full = os.path.join(folder, name)
        if m and is_kind(full) and not _pid_alive(int(m.group(1))):
            with contextlib.suppress(FileNotFoundError):
                remove(full)
                removed.append(full)
    return removed


_TMP_FILE = re.compile(r'^\..+\.' + _TMP_TAG + r'-(\d+)\.[^/]*$')


def sweep_stale_files(folder):
    """Remove the temporary files (``.<name>.spinemm-tmp-<pid>.*``) that a
    killed run of :func:`atomic_file` left in ``folder``, where that process
    no longer runs. Returns the removed paths."""
    return _sweep(folder, _TMP_FILE, os.path.isfile, os.remove)


@contextlib.contextmanager
def atomic_dir(path, kind, overwrite=False, inputs=(), allow_inside=False):
    """Yield a temporary folder that becomes ``path`` when the block succeeds.

    Args:
        path: the output folder.
        kind: what the folder holds (e.g. ``'verse2seg'``), recorded in its
            :data:`MARKER`; only an earlier output of the same kind may be
            replaced.
        overwrite: replace spinemm's own earlier output of ``kind``; without
            it an existing non-empty ``path`` is an error.
        inputs: files or folders the run reads; ``path`` may not be, lie in or
            hold one of them (lie in: see ``allow_inside`` of
            :func:`check_no_overlap`).

    The checks run before anything is written. An existing ``path`` is
    replaced only after the new one is complete; on an exception the
    temporary folder is removed and ``path`` is left untouched.
    """
    path = os.path.abspath(path)
    check_no_overlap(path, inputs, allow_inside=allow_inside)
    check_replaceable(path, kind, overwrite)
    parent, base = os.path.dirname(path), os.path.basename(path)
    os.makedirs(parent, exist_ok=True)
    sweep_stale(parent, base)
    tmp = tempfile.mkdtemp(prefix=f'.{base}.{_TMP_TAG}-{os.getpid()}.',
                           dir=parent)
    _public(tmp, 0o777)
    try:
        yield tmp
        with open(os.path.join(tmp, MARKER), 'w') as f:
            json.dump(dict(kind=kind, written=time.strftime(
                '%Y-%m-%dT%H:%M:%S')), f)
        _public(os.path.join(tmp, MARKER), 0o666)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if os.path.lexists(path):
        # checked above; checked again in case it changed during the run
        check_replaceable(path, kind, overwrite)
        old = tempfile.mkdtemp(prefix=f'.{base}.{_OLD_TAG}-{os.getpid()}.',
                               dir=parent)
        os.rmdir(old)
        os.replace(path, old)
    os.replace(tmp, path)
    if old:
        shutil.rmtree(old, ignore_errors=True)
