from .ct import CTPhantom, CTVertebra, make_ct_phantom
from .ct_anatomy import AnatomyPhantom, make_anatomy_phantom
from .drr import make_lateral_drr
from .radiograph import (PhantomVertebra, RadiographPhantom,
                         make_radiograph_phantom)
from .radiograph_dataset import write_radiograph_dataset
from .rsna_writer import write_rsna_phantoms
from .spinetk_writer import write_spinetk_phantoms
from .verse_writer import write_anatomy_verse_phantoms, write_verse_phantoms

__all__ = [
    'AnatomyPhantom', 'CTPhantom', 'CTVertebra', 'make_anatomy_phantom',
    'PhantomVertebra', 'RadiographPhantom',
    'make_ct_phantom', 'make_lateral_drr', 'make_radiograph_phantom', 'write_radiograph_dataset',
    'write_rsna_phantoms', 'write_spinetk_phantoms', 'write_verse_phantoms',
    'write_anatomy_verse_phantoms'
]
