"""spinemm: spine imaging on the OpenMMLab stack (mmdet, mmpose, mmseg).

Importing the package applies :mod:`spinemm.compat` (the documented fixes the
pinned OpenMMLab releases need on current torch). Modules register themselves
into :mod:`spinemm.registry` when a config first names them.
"""
from . import compat
from .version import __version__

compat.apply()

__all__ = ['__version__']
