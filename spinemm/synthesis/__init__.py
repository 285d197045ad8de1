"""CT synthesis from real label maps: templates (real anatomy in a small
code table), deformation, painting and acquisition, and the mmengine
dataset + transform that train on them."""
from .anatomy_codes import (ANATOMY_CLASSES, TOTALSEG_V2_NAMES,
                            anatomy_classes, code_of, to_codes)
from .synth_ct import (paint_ct, patch_coords, sample_template,
                       simulate_acquisition, synthesize_patch)
from .templates import list_templates, make_template, write_templates

__all__ = ['ANATOMY_CLASSES', 'TOTALSEG_V2_NAMES', 'anatomy_classes',
           'code_of', 'to_codes', 'paint_ct', 'patch_coords',
           'sample_template', 'simulate_acquisition', 'synthesize_patch',
           'list_templates', 'make_template', 'write_templates']
