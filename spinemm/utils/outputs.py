"""The output rule: a tool replaces a file only if spinemm wrote it.

Which files spinemm wrote is recorded per folder
(:mod:`spinemm.utils.manifest`); :func:`spinemm.utils.atomic_file` refuses,
at the moment of writing, to replace any other (so a tool that forgot to
plan still never replaces a user's file).

A tool plans its outputs first (:class:`OutputPlan`): every name of the run
is known before any compute, the plan refuses names that collide with each
other (also where only the case differs: macOS and Windows file systems are
case-insensitive) and names that are, lie in or hold an input, and then
refuses the whole run, naming the first file, when any planned file exists
and is not spinemm's, unless ``overwrite`` (``--overwrite``) is given.
"""
import contextlib
import json
import os

from .atomic import atomic_file, check_no_overlap, sweep_stale_files
from .errors import InputError
from .manifest import _approved, check_may_write


class OutputCollisionError(InputError):
    """Two outputs of one run would get the same name."""


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
        path = self.add(path)
        with atomic_file(path, suffix, overwrite=self.overwrite) as tmp:
            yield tmp

    def write_json(self, path, obj, **dump_kwargs):
        with self.file(path) as tmp, open(tmp, 'w') as f:
            json.dump(obj, f, **dump_kwargs)
