"""Inference APIs: trained models applied to new images."""
from .inference import VertebraDetector, draw_result, load_image

__all__ = ['VertebraDetector', 'draw_result', 'load_image']
