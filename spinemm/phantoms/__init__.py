from .ct import CTPhantom, CTVertebra, make_ct_phantom
from .radiograph import (PhantomVertebra, RadiographPhantom,
                         make_radiograph_phantom)
from .radiograph_dataset import write_radiograph_dataset
from .verse_writer import write_verse_phantoms

__all__ = [
    'CTPhantom', 'CTVertebra', 'PhantomVertebra', 'RadiographPhantom',
    'make_ct_phantom', 'make_radiograph_phantom', 'write_radiograph_dataset',
    'write_verse_phantoms'
]
