"""Inference APIs: trained models applied to new images, and reports."""
from .inference import VertebraDetector, draw_result, load_image
from .report import (SpineReporter, draw_report, load_any, make_report,
                     write_report)

__all__ = ['VertebraDetector', 'draw_result', 'load_image', 'SpineReporter',
           'draw_report', 'load_any', 'make_report', 'write_report']
