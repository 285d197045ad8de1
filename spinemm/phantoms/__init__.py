from .radiograph import (PhantomVertebra, RadiographPhantom,
                         make_radiograph_phantom)
from .radiograph_dataset import write_radiograph_dataset

__all__ = [
    'PhantomVertebra', 'RadiographPhantom', 'make_radiograph_phantom',
    'write_radiograph_dataset'
]
