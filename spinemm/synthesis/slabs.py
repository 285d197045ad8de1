"""2.5D training slabs synthesised from CT templates, for slice models
(mmseg) that segment whole CTs slab by slab
(:class:`spinemm.apis.volume_segment.VolumeSegmenter`).

A slab is ``2 * context + 1`` neighbouring slices of a synthetic patch
(:func:`spinemm.synthesis.synth_ct.synthesize_patch`: deformed template,
painted, "scanned") in the display order of
:mod:`spinemm.formats.verse_slices`, through the same HU window as at
inference; its label map is the middle slice's :data:`ANATOMY_CLASSES`
(with ``mode='anatomy_centres'`` also the vertebral bodies' centres,
:mod:`spinemm.synthesis.body_centres`).
The dataset item carries how slabs are cut (``synth_slab=dict(plane,
context, spacing, window, mode)``) and the test-time segmenter reads the
same settings from the config's dataset, so training and inference cut
slabs one way.

Across the slab's plane the centre is drawn within ``lateral_mm`` of a
vertebra (a sagittal slab anywhere from the midline to the ribs beside the
column) or, with ``1 - foreground_prob``, anywhere in the template, so the
model also learns slices without a vertebra.
"""
import numpy as np
from mmcv.transforms import BaseTransform

from ..formats.verse_slices import PLANES, take_slab, take_slice
from ..formats.verse_volumes import hu_window
from ..registry import DATASETS, TRANSFORMS
from .transforms import (SynthCTDataset, classes_of, labels_of,
                         load_template, synthesize_for)

#: model-grid axis a plane's slices are taken along (('I', 'P', 'R') grid)
_ACROSS = dict(sagittal=2, coronal=1)
#: extra slices synthesised on each side, so the contact band (a 4 mm cube
#: at 2 mm) of the middle slice sees its neighbours
_MARGIN = 2


@DATASETS.register_module()
class SynthCTSlabDataset(SynthCTDataset):
    """:class:`SynthCTDataset` for slice models: every item also says how
    its slab is cut (``plane``: 'sagittal' or 'coronal'; ``context``
    slices on each side; ``spacing`` mm; HU ``window``; ``mode``:
    'anatomy', 'anatomy_centres' or 'binary'). ``VolumeSegmenter`` reads the same keys from
    the test dataset, so a checkpoint is always run on slabs cut its way."""

    def __init__(self, data_root, plane='sagittal', context=1, spacing=2.0,
                 window=(-500.0, 1300.0), mode='anatomy', **kwargs):
        if plane not in PLANES:
            raise ValueError(f'plane must be one of {PLANES}, not {plane!r}')
        classes = classes_of(mode)  # an unknown mode fails here
        self.slab = dict(plane=plane, context=int(context),
                         spacing=float(spacing), window=tuple(window),
                         mode=mode)
        # the class names travel in the checkpoint (dataset_meta): the
        # segmenter counts levels from the ribs and the sacrum when they
        # are the anatomy classes
        palette = [[0, 0, 0], [0, 200, 0], [0, 0, 255], [255, 0, 0],
                   [255, 255, 0], [255, 0, 255]][:len(classes)]
        kwargs['metainfo'] = dict(kwargs.get('metainfo') or {},
                                  classes=classes, palette=palette)
        super().__init__(data_root, **kwargs)

    def load_data_list(self):
        return [dict(d, synth_slab=self.slab)
                for d in super().load_data_list()]


@TRANSFORMS.register_module()
class LoadSynthCTSlab(BaseTransform):
    """Synthesise one slab of ``results['case']``: ``img`` uint8 (H, W,
    2 * context + 1), ``gt_seg_map`` (H, W) class indices of the middle
    slice, ``crop_size`` (H, W) in display order; ``slab_centre``: where
    in the template (voxels of the model grid) the slab was cut.
    ``lateral_mm``: how far across the plane from a vertebra's centre a
    foreground slab may lie.
    ``deterministic`` seeds the draw with the sample index (validation).
    ``bone_texture_hu``: mottle the bone (see
    :func:`spinemm.synthesis.synth_ct.add_bone_texture`); ``bone_scale``:
    scale its density (:func:`spinemm.synthesis.synth_ct.scale_bone`);
    ``side_wall``: fade the vertebrae's walls but the endplates
    (:func:`spinemm.synthesis.synth_ct.soften_side_walls`)."""

    def __init__(self, crop_size=(160, 160), foreground_prob=0.85,
                 lateral_mm=80.0, paint_probs=(('ct', 0.8), ('random', 0.2)),
                 deterministic=False, deform=None, contact_mm=4.0,
                 bone_texture_hu=None, bone_scale=None, side_wall=None):
        self.crop_size = tuple(int(s) for s in crop_size)
        self.bone_texture_hu = bone_texture_hu
        self.bone_scale = None if bone_scale is None else tuple(bone_scale)
        self.side_wall = None if side_wall is None else tuple(side_wall)
        self.foreground_prob = foreground_prob
        self.lateral_mm = float(lateral_mm)
        self.paint_probs = tuple(tuple(p) for p in paint_probs)
        self.deterministic = deterministic
        self.deform = dict(deform or {})
        self.contact_mm = contact_mm

    def transform(self, results):
        try:
            opts = results['synth_slab']
        except KeyError:
            raise KeyError('LoadSynthCTSlab reads items of '
                           'SynthCTSlabDataset (no synth_slab in the '
                           'results)') from None
        plane, context, spacing = opts['plane'], opts['context'], \
            opts['spacing']
        case = results['case']
        tpl = load_template(case['codes'], case.get('ct'), spacing)
        seed = results.get('sample_idx', 0) if self.deterministic \
            else np.random.randint(2**31)
        rng = np.random.RandomState(seed)
        across = _ACROSS[plane]
        depth = 2 * (context + _MARGIN) + 1
        # (I, P, R) patch: display rows are I; columns P (sagittal) or R
        size = [self.crop_size[0], self.crop_size[1], self.crop_size[1]]
        size[across] = depth
        centres = list(tpl['centres'].values())
        if centres and rng.rand() < self.foreground_prob:
            centre = centres[rng.randint(len(centres))].astype(float)
            inplane = [a for a in range(3) if a != across]
            centre[inplane] += rng.uniform(-0.25, 0.25, 2) * np.take(
                size, inplane)
            centre[across] += rng.uniform(-1, 1) * self.lateral_mm / spacing
        else:
            centre = rng.uniform(0, 1, 3) * (np.asarray(tpl['codes'].shape)
                                             - 1)
        hu, codes, centres = synthesize_for(
            opts['mode'], tpl, size, rng, spacing,
            paint_probs=self.paint_probs, centre=centre,
            bone_texture_hu=self.bone_texture_hu, bone_scale=self.bone_scale,
            side_wall=self.side_wall, **self.deform)
        mid = context + _MARGIN
        results['img'] = hu_window(take_slab(np.round(hu), mid, plane,
                                             context), *opts['window'])
        labels = labels_of(opts['mode'], codes, spacing, self.contact_mm,
                           centres)
        results['gt_seg_map'] = np.ascontiguousarray(
            take_slice(labels, mid, plane))
        results['seg_fields'] = ['gt_seg_map']
        results['img_shape'] = results['ori_shape'] = results['img'].shape[:2]
        results['img_path'] = f'{case["stem"]}#{results.get("sample_idx")}'
        results['slab_centre'] = centre  # template voxels, before deforming
        return results


__all__ = ['SynthCTSlabDataset', 'LoadSynthCTSlab']
