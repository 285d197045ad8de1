"""spinemm: spine imaging on the OpenMMLab stack (mmdet, mmpose, mmseg).

Importing the package arranges for :mod:`spinemm.compat` (the documented
fixes the pinned OpenMMLab releases need on current torch) to be applied as
soon as mmengine is imported (at once if it already is), so the plain-numpy
parts (``spinemm.morphometry``, ``spinemm.formats``) import without torch.
Modules register themselves into :mod:`spinemm.registry` when a config first
names them.
"""
from .import_hook import call_after_import
from .version import __version__


def _apply_compat():
    from . import compat
    compat.apply()


call_after_import('mmengine', _apply_compat)

__all__ = ['__version__']
