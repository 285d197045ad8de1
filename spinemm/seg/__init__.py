"""mmseg modules: datasets, the pyramid segmentor, Dice loss, transforms."""
from .datasets import *  # noqa: F401,F403
from .models import *  # noqa: F401,F403
from .transforms import DourtheAugment  # noqa: F401
