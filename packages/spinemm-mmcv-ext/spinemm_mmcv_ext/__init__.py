"""mmcv's compiled ops from torchvision, for the pure-Python mmcv-lite.

``mmcv.ops`` loads its kernels from ``mmcv._ext``, the C++/CUDA extension a
full mmcv build compiles (13-25 minutes on 2 cores). The ``mmcv-lite``
wheel of the same version ships every ``mmcv/ops/*.py`` but no ``_ext``.
This package supplies ``mmcv._ext`` from :mod:`spinemm_mmcv_ext.ops`:
RoIAlign (forward and backward) and NMS through torchvision's compiled
kernels (CPU and CUDA, no build), every other symbol as a function that
raises ``NotImplementedError`` naming the op.

Mechanism: the wheel installs ``spinemm_mmcv_ext.pth``, a one-line path
configuration file that Python's ``site`` runs at start-up; it puts
:class:`ExtFinder` on ``sys.meta_path``. The finder answers only for
``mmcv._ext`` and only when no other finder has a real (compiled) one, so a
full mmcv build always wins and nothing in site-packages is edited. It
works for any script (the stock mmdet/mmpose/mmseg tools too), not only
for code that imports spinemm.

``SPINEMM_MMCV_EXT=off`` in the environment disables it.
"""
import importlib.abc
import importlib.util
import os
import sys

TARGET = 'mmcv._ext'


class ExtFinder(importlib.abc.MetaPathFinder):
    """Serve ``mmcv._ext`` from :mod:`spinemm_mmcv_ext.ops` when mmcv has
    no compiled one."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != TARGET:
            return None
        for finder in sys.meta_path:  # a compiled _ext wins
            if finder is self or not hasattr(finder, 'find_spec'):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                return spec
        return importlib.util.spec_from_loader(fullname, _Loader())


class _Loader(importlib.abc.Loader):

    def create_module(self, spec):
        return None  # a plain module named mmcv._ext

    def exec_module(self, module):
        from . import ops
        module.__dict__.update({k: v for k, v in vars(ops).items()
                                if not k.startswith('__')
                                or k in ('__getattr__', '__doc__')})


def install():
    """Put the finder on ``sys.meta_path`` (once)."""
    if os.environ.get('SPINEMM_MMCV_EXT', '').lower() in ('off', '0'):
        return
    if not any(isinstance(f, ExtFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, ExtFinder())


def active():
    """Whether ``mmcv._ext`` (imported now if needed) is this package's."""
    import mmcv._ext as ext
    return getattr(ext, 'PROVIDER', None) == 'spinemm_mmcv_ext'
