"""mmseg modules: datasets, the pyramid segmentor, Dice loss, transforms,
the 3D VerSe metric."""
from .datasets import *  # noqa: F401,F403
from .models import *  # noqa: F401,F403
from .loading import LoadImageLabelPair, LoadVerseSlice  # noqa: F401
from .transforms import DourtheAugment  # noqa: F401
from .volume_metric import VerseVolumeMetric  # noqa: F401
