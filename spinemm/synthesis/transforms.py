"""The synthetic-CT training data for mmengine: a dataset of template
samples (metadata only) and the transform that synthesises the patch."""
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.dataset import BaseDataset

from ..registry import DATASETS, TRANSFORMS
from .anatomy_codes import ANATOMY_CLASSES, anatomy_classes, is_vertebra
from .body_centres import CENTRE_CLASSES, body_centre_mask, centre_classes
from .synth_ct import synthesize_patch, vertebra_centres
from .templates import list_templates

_CACHE = {}


def load_template(codes_path, ct_path, spacing):
    """A template on the model grid (('I', 'P', 'R'), ``spacing`` mm),
    cached per process: dict(codes, ct, centres)."""
    key = (codes_path, ct_path, float(spacing))
    if key not in _CACHE:
        from ..io import read_nifti
        from ..seg.volume_labels import to_model_grid
        codes = to_model_grid(read_nifti(codes_path), spacing, is_label=True)
        codes = np.ascontiguousarray(codes.data).astype(np.uint8)
        ct = None
        if ct_path:
            ct = to_model_grid(read_nifti(ct_path), spacing).data
            ct = np.ascontiguousarray(ct).astype(np.float32)
            if ct.shape != codes.shape:
                raise ValueError(f'{ct_path}: not on the grid of '
                                 f'{codes_path}')
        _CACHE[key] = dict(codes=codes, ct=ct,
                           centres=vertebra_centres(codes))
    return _CACHE[key]


def template_body_centres(tpl, spacing):
    """The body-centre mask of a template from :func:`load_template`
    (:func:`body_centre_mask`), computed once and kept with it."""
    if 'body_centres' not in tpl:
        tpl['body_centres'] = body_centre_mask(tpl['codes'], spacing)
    return tpl['body_centres']


def classes_of(mode):
    if mode == 'anatomy':
        return ANATOMY_CLASSES
    if mode == 'anatomy_centres':
        return CENTRE_CLASSES
    if mode == 'binary':
        return ('background', 'vertebra')
    raise ValueError("mode is 'anatomy', 'anatomy_centres' or 'binary', "
                     f'not {mode!r}')


def labels_of(mode, codes, spacing, contact_mm, centres=None):
    """The class map of a synthetic patch's ``codes`` in ``mode``
    (:func:`classes_of`); ``centres``: its body-centre mask
    ('anatomy_centres')."""
    if mode == 'anatomy':
        return anatomy_classes(codes, spacing, contact_mm)
    if mode == 'anatomy_centres':
        return centre_classes(codes, centres, spacing, contact_mm)
    return is_vertebra(codes).astype(np.uint8)


def synthesize_for(mode, tpl, size, rng, spacing, **kwargs):
    """:func:`synthesize_patch` of ``tpl``, with the body-centre mask
    carried along when ``mode`` needs it: (hu, codes, centres or None)."""
    if mode != 'anatomy_centres':
        return synthesize_patch(tpl, size, rng, spacing=spacing,
                                **kwargs) + (None, )
    return synthesize_patch(tpl, size, rng, spacing=spacing,
                            body_centres=template_body_centres(tpl, spacing),
                            **kwargs)


@DATASETS.register_module()
class SynthCTDataset(BaseDataset):
    """``samples_per_template`` samples of each template under
    ``data_root`` (:func:`list_templates`) whose name is not in
    ``leave_out`` (the real CT a model is tested on must not be one of its
    templates). ``extra_roots``: more template roots, each
    ``dict(root=..., samples_per_template=...)`` (anatomical phantoms
    beside real templates, with their own share of the samples)."""

    def __init__(self, data_root, samples_per_template=32, leave_out=(),
                 extra_roots=(), **kwargs):
        self.samples_per_template = samples_per_template
        self.leave_out = tuple(leave_out)
        self.extra_roots = [dict(r) for r in extra_roots]
        super().__init__(data_root=data_root, **kwargs)

    def load_data_list(self):
        found = list_templates(self.data_root)
        unknown = set(self.leave_out) - {n for n, _, _ in found}
        if unknown:
            raise ValueError(f'leave_out names {sorted(unknown)} are not '
                             f'templates of {self.data_root}')
        kept = [(t, self.samples_per_template) for t in found
                if t[0] not in self.leave_out]
        for extra in self.extra_roots:
            kept += [(t, int(extra['samples_per_template']))
                     for t in list_templates(extra['root'])]
        if not kept:
            raise ValueError(f'{self.data_root}: every template is left out')
        out = []
        for (name, codes, ct), n in kept:
            out += [dict(case=dict(stem=name, codes=codes, ct=ct),
                         sample_idx=len(out) + k) for k in range(n)]
        return out


@TRANSFORMS.register_module()
class LoadSynthCTPatch(BaseTransform):
    """Synthesise one patch of ``results['case']`` (a template): ``img``
    (D, H, W) float32 HU and ``gt_seg_map`` class indices (``mode``
    'anatomy': :data:`ANATOMY_CLASSES`, vertebra voxels within
    ``contact_mm`` of another vertebra marked; 'anatomy_centres': the same
    and each vertebral body's centre, :data:`CENTRE_CLASSES`; 'binary':
    vertebra or not). ``deterministic`` seeds the draw with the sample index (validation)."""

    def __init__(self, patch_size=(64, 64, 64), spacing=2.0, mode='anatomy',
                 foreground_prob=0.8, paint_probs=(('ct', 0.8),
                                                   ('random', 0.2)),
                 deterministic=False, deform=None, contact_mm=4.0):
        self.patch_size = tuple(int(s) for s in patch_size)
        self.spacing = float(spacing)
        self.mode = mode
        self.classes = classes_of(mode)
        self.foreground_prob = foreground_prob
        self.paint_probs = tuple(tuple(p) for p in paint_probs)
        self.deterministic = deterministic
        self.deform = dict(deform or {})
        self.contact_mm = contact_mm

    def transform(self, results):
        case = results['case']
        tpl = load_template(case['codes'], case.get('ct'), self.spacing)
        seed = results.get('sample_idx', 0) if self.deterministic \
            else np.random.randint(2**31)
        rng = np.random.RandomState(seed)
        hu, codes, centres = synthesize_for(
            self.mode, tpl, self.patch_size, rng, self.spacing,
            paint_probs=self.paint_probs,
            foreground_prob=self.foreground_prob, **self.deform)
        results['img'] = hu
        results['gt_seg_map'] = labels_of(self.mode, codes, self.spacing,
                                          self.contact_mm, centres)
        results['classes'] = self.classes
        results['origin'] = None
        return results


__all__ = ['SynthCTDataset', 'LoadSynthCTPatch', 'load_template',
           'classes_of', 'labels_of', 'synthesize_for',
           'template_body_centres']
