from .edge_crop import RandomEdgeCrop
from .implants import RandomImplants
from .keypoints import (LoadVertebraKeypoints, PackVertebraInputs,
                        WithKeypoints, apply_homography)
from .photometric import SpineTKPhotometric, spinetk_photometric
from .verse_slices import LoadVerseSliceInstances

__all__ = ['RandomEdgeCrop', 'RandomImplants', 'LoadVertebraKeypoints',
           'PackVertebraInputs', 'WithKeypoints',
           'apply_homography', 'SpineTKPhotometric', 'spinetk_photometric',
    'LoadVerseSliceInstances']
