"""Write files and folders so that a reader never sees them half-done.

Everything spinemm's tools write goes to a temporary name beside the target
first and is renamed into place when complete (a rename is atomic on one file
system), so an interrupted run leaves either the old result or none.
"""
import contextlib
import json
import os
import shutil
import tempfile


def read_json(path, what='JSON file'):
    """Load a JSON file; errors name the file and say what it should be."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f'{what} not found: {path}')
    try:
        with open(path) as f:
            return json.load(f)
    except json.JSONDecodeError as e:
        raise ValueError(f'{path} is not valid JSON: {e}') from e


@contextlib.contextmanager
def atomic_file(path, suffix='.tmp'):
    """Yield a temporary path beside ``path``; rename it to ``path`` when the
    block succeeds, remove it when it fails. ``suffix`` keeps writers that
    choose the format by extension (``.nii.gz``) happy."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix='.' + os.path.basename(path) + '.', suffix=suffix, dir=folder)
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)


def atomic_write_json(path, obj, **dump_kwargs) -> None:
    """Write ``obj`` as JSON to ``path`` through a temporary file."""
    with atomic_file(path) as tmp, open(tmp, 'w') as f:
        json.dump(obj, f, **dump_kwargs)


@contextlib.contextmanager
def atomic_dir(path):
    """Yield a temporary folder that becomes ``path`` when the block succeeds.

    An existing ``path`` is replaced only after the new one is complete; on an
    exception the temporary folder is removed and ``path`` is left untouched.
    """
    path = os.path.abspath(path)
    parent = os.path.dirname(path)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix='.' + os.path.basename(path) + '.', dir=parent)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if os.path.exists(path):
        old = tempfile.mkdtemp(prefix='.' + os.path.basename(path) + '.old.',
                               dir=parent)
        os.rmdir(old)
        os.replace(path, old)
    os.replace(tmp, path)
    if old:
        shutil.rmtree(old, ignore_errors=True)
