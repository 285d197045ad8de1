"""Vertebral morphometry: six keypoints -> heights (mm) -> ratios -> Genant grade.

Plain numpy; no framework. See :func:`assess_column`.
"""
from .genant import VertebraMorphometry, assess_column
from .heights import vertebral_heights

__all__ = ['VertebraMorphometry', 'assess_column', 'vertebral_heights']
