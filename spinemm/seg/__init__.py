"""mmseg modules: datasets (and, later, models and metrics)."""
from .datasets import *  # noqa: F401,F403
