"""Run the two RSNA fracture stages on a DICOM series in memory.

The same array steps as training (``spinemm.fracture.transforms``), fed from
a series read once (``read_dicom_series``: ordered by position, so reversed
numbering, mixed series and gaps are handled or refused there):

1. every axial slice, head to foot, with its 2.5D neighbours -> stage 1 ->
   visible ratios of C1..C7 and the C1-C7 box per slice;
2. per vertebra, the evenly spaced slices of its longest visible run,
   cropped to their predicted boxes -> stage 2 -> 8 probabilities.
"""
import os.path as osp
import time
import warnings

import numpy as np
import torch
from mmengine.config import Config

from ..formats.rsna import RSNA_VERTEBRAE, vertebra_sequences
from ..formats.verse_volumes import hu_window
from ..io import read_dicom_series
from .scoring import LABELS
from .transforms import WINDOW, context_indices, crop_sequence, stack_slices


def load_stage(config, checkpoint, device='cpu'):
    """A stage model from its config and checkpoint (None: untrained), in
    eval mode, built in the config's default scope (spinemm's);
    :func:`spinemm.engine.model_loading.load_model`."""
    from ..engine.model_loading import load_model
    return load_model(config, checkpoint, device)


def is_mask_stage1(config):
    """True for a segmentation config (the mask-based stage 1: mmseg's
    scope, one class per level), False for the slice model's."""
    cfg = Config.fromfile(config) if isinstance(config, str) else config
    return cfg.get('default_scope') == 'mmseg'


class MaskStage1:
    """The mask-based stage 1: a VerSe-path segmentor on the study's volume
    -> (ratios, boxes, labels head to foot), like ``predict_slices``."""

    def __init__(self, config, checkpoint, device='cpu'):
        from ..apis.volume_segment import VolumeSegmenter
        self.segmenter = VolumeSegmenter(config, checkpoint, device=device)
        self.cfg = self.segmenter.model.cfg

    def __call__(self, volume):
        from .masks import masks_from_labels
        return masks_from_labels(self.segmenter(volume)['labels'])


def pipeline_step(cfg, name):
    for step in cfg.test_dataloader.dataset.pipeline:
        if step['type'].split('.')[-1] == name:
            return step
    raise ValueError(f'the config has no {name} step in its test pipeline')


def _nearest_numbers(vol, files, numbers):
    """Slice numbers of a resampled grid (head to foot): the number of the
    file nearest to each grid slice along the slice axis."""
    import pydicom

    from ..io.volume import LPS_TO_RAS
    axis = vol.affine[:3, 2] / np.linalg.norm(vol.affine[:3, 2])
    n = vol.data.shape[2]
    grid = vol.voxel_to_world(np.c_[np.zeros(n), np.zeros(n),
                                    np.arange(n)]) @ axis
    pos = []
    for f in files:
        ipp = np.array(pydicom.dcmread(f, stop_before_pixels=True)
                       .ImagePositionPatient, float)
        pos.append((LPS_TO_RAS[:3, :3] @ ipp) @ axis)
    nearest = np.abs(grid[:, None] - np.array(pos)[None]).argmin(1)
    return [numbers[i] for i in nearest][::-1]


def is_nifti(path):
    return str(path).endswith(('.nii', '.nii.gz'))


class StudySeries:
    """An axial CT series, head to foot: ``hu`` (n, rows, cols) float32,
    ``numbers`` the RSNA slice_number of each slice (the file stem where it
    is a number, else the position 1..n from the head), ``spacing``
    (column, row, slice) mm and ``reversed`` (numbers grow towards the
    head).

    ``folder`` is a DICOM series folder or a CT NIfTI file; a NIfTI volume
    is put in the axial orientation of RSNA's series (('L', 'P', 'S'):
    columns to the patient's left, rows posterior) and its slices are
    numbered 1..n from the head.
    """

    def __init__(self, folder, **read_kwargs):
        from ..io.ct_checks import check_ct
        if is_nifti(folder):
            self._from_nifti(folder)
            check_ct(self.volume, folder)
            self.study_uid = None
            return
        vol = read_dicom_series(folder, **read_kwargs)
        # an MR, a sagittal reformat or a one-slice study is refused here,
        # before any compute (spinemm.io.ct_checks says why)
        check_ct(vol, folder, axial=True)
        self.study_uid = vol.meta.get('study_uid') or None
        # series order is by position along the slice normal: for an axial
        # series (normal towards the head), inferior -> superior
        data = np.asarray(vol.data).transpose(2, 1, 0)[::-1]
        self.hu = np.ascontiguousarray(data, np.float32)
        files = vol.meta['files'][::-1]
        stems = [osp.splitext(osp.basename(f))[0] for f in files]
        if all(s.isdigit() for s in stems):
            numbers = [int(s) for s in stems]
        else:
            numbers = list(range(1, len(files) + 1))
        # gaps='resample' gives a uniform grid with more slices than files:
        # each grid slice takes the number of the nearest file
        self.resampled = len(files) != len(self.hu)
        if self.resampled:
            numbers = _nearest_numbers(vol, files, numbers)
        self.numbers = numbers
        self.reversed = len(self.numbers) > 1 and \
            self.numbers[0] > self.numbers[-1]
        self.spacing = tuple(float(s) for s in vol.spacing)
        self.folder = folder
        self.volume = vol

    def _from_nifti(self, path):
        from ..io import read_nifti, reorient
        vol = reorient(read_nifti(path), ('L', 'P', 'S'))
        data = np.asarray(vol.data, np.float32).transpose(2, 1, 0)[::-1]
        self.hu = np.ascontiguousarray(data)
        self.numbers = list(range(1, len(self.hu) + 1))
        self.reversed = False
        self.resampled = False
        self.spacing = tuple(float(s) for s in vol.spacing)
        self.folder = path
        self.volume = vol

    def windowed(self, window=WINDOW):
        return hu_window(self.hu, *window)


@torch.no_grad()
def predict_slices(model, slices_u8, batch_size=64, stride=1):
    """Stage 1 over the slices of a study.

    Args:
        slices_u8: (n, H, W) windowed slices, head to foot.
        stride: run the model on every ``stride``-th slice (and the last)
            and interpolate the ratios and boxes linearly in between: about
            ``stride`` times faster; ratios and boxes change smoothly from
            slice to slice (``benchmark_fracture.py`` measures the
            difference).

    Returns:
        ratios (n, 7), boxes (n, 4) x, y, w, h in pixels of the slices.
    """
    ds = model.cfg.test_dataloader.dataset
    context = int(ds.get('context', 1))
    image_size = pipeline_step(model.cfg, 'LoadRsnaSlice').get(
        'image_size', 256)
    n, h, w = slices_u8.shape
    picks = np.unique(np.r_[np.arange(0, n, max(1, int(stride))), n - 1])
    device = next(model.parameters()).device
    ratios, boxes = [], []
    for start in range(0, len(picks), batch_size):
        ks = picks[start:start + batch_size]
        batch = [stack_slices(slices_u8[context_indices(k, n, context)],
                              image_size) for k in ks]
        x = torch.from_numpy(np.stack(batch).transpose(0, 3, 1, 2).copy())
        samples = dict(position=torch.as_tensor(ks / max(n - 1, 1),
                                                dtype=torch.float32))
        r, b = model(x.float().div(255).to(device), samples, mode='tensor')
        ratios.append(r.sigmoid().cpu().numpy())
        boxes.append(b.sigmoid().cpu().numpy())
    ratios, norm = np.concatenate(ratios), np.concatenate(boxes)
    if len(picks) < n:
        every = np.arange(n)
        ratios = np.stack([np.interp(every, picks, c) for c in ratios.T], 1)
        norm = np.stack([np.interp(every, picks, c) for c in norm.T], 1)
    x0, y0 = norm[:, 0] * w, norm[:, 1] * h
    x1, y1 = norm[:, 2] * w, norm[:, 3] * h
    xywh = np.stack([x0, y0, np.clip(x1 - x0, 0, None),
                     np.clip(y1 - y0, 0, None)], 1)
    return ratios, xywh


def uses_masks(model):
    """Does a stage-2 model read stage-1 masks (a ``mask_dir`` in its
    LoadRsnaSequences)?"""
    return bool(pipeline_step(model.cfg, 'LoadRsnaSequences').get(
        'mask_dir'))


@torch.no_grad()
def predict_fracture(model, slices_u8, ratios, boxes, uid='', labels=None):
    """Stage 2 on one study.

    ``labels`` (n, rows, cols), head to foot, are the mask-based stage 1's
    vertebra labels; a stage 2 trained with masks needs them.

    Returns:
        dict(probs (8,) [patient_overall, C1..C7], sequences (7 index arrays
        or None), unseen (names of vertebrae without a sequence: they get
        the model's prior, with a warning naming the study)).
    """
    ds = model.cfg.test_dataloader.dataset
    step = pipeline_step(model.cfg, 'LoadRsnaSequences')
    num_slices = int(ds.get('num_slices', 24))
    min_ratio = float(ds.get('min_ratio', 0.5))
    crop_size = int(step.get('crop_size', 128))
    margin = float(step.get('margin', 0.15))
    with_masks = uses_masks(model)
    if with_masks and labels is None:
        raise ValueError('this stage-2 model was trained on stage-1 masks '
                         '(mask_dir in its pipeline): pair it with the '
                         'segmentation stage 1')
    seqs = vertebra_sequences(ratios, num_slices, min_ratio)
    crops = np.zeros((7, num_slices) + ((2, ) if with_masks else (1, )) +
                     (crop_size, crop_size), np.uint8)
    valid = np.zeros(7, np.float32)
    for v, seq in enumerate(seqs):
        if seq is None:
            continue
        masks = [labels[k] == v + 1 for k in seq] if with_masks else None
        out = crop_sequence(list(slices_u8[seq]), boxes[seq], crop_size,
                            margin, masks)
        crops[v] = out if with_masks else out[:, None]
        valid[v] = 1
    unseen = [RSNA_VERTEBRAE[v] for v in range(7) if not valid[v]]
    if unseen:
        warnings.warn(
            f'study {uid}: stage 1 found no slice with {", ".join(unseen)} '
            f'above ratio {min_ratio}; they get the prior probability. Check '
            'that the series covers the cervical spine, or lower min_ratio '
            'in the stage-2 config')
    device = next(model.parameters()).device
    x = torch.from_numpy(crops)[None].float().div(255)
    samples = dict(valid=torch.from_numpy(valid)[None])
    probs = model(x.to(device), samples, mode='predict')[0]['pred_probs']
    return dict(probs=probs.numpy().astype(float), sequences=seqs,
                unseen=unseen)


#: plausibility limits of stage 1's visible runs (mm along the slices): a
#: cervical vertebra's run above ratio 0.5 is well under 40 mm, and C1 to C7
#: spans about 100-140 mm in adults
MAX_RUN_MM = 40.0
MAX_SPAN_MM = 220.0


def anatomy_problems(sequences, slice_mm):
    """What is implausible about stage 1's vertebra runs (a list of
    sentences; empty when nothing is): a run taller than a vertebra can
    be, C1..C7 out of head-to-foot order, or a column longer than a
    cervical spine. Such findings mean the study is not what the model
    was trained on (another body region, another scanner), so its
    probabilities should not be trusted."""
    out = []
    runs = {f'C{v + 1}': (int(s[0]), int(s[-1]))
            for v, s in enumerate(sequences) if s is not None}
    for name, (a, b) in runs.items():
        if (b - a + 1) * slice_mm > MAX_RUN_MM:
            out.append(f'{name} is seen over {(b - a + 1) * slice_mm:.0f} mm '
                       f'(more than {MAX_RUN_MM:.0f} mm)')
    names = sorted(runs, key=lambda n: int(n[1:]))
    for upper, lower in zip(names, names[1:]):
        if runs[lower][0] < runs[upper][0]:
            out.append(f'{lower} starts above {upper}')
    if names:
        span = (runs[names[-1]][1] - runs[names[0]][0] + 1) * slice_mm
        if span > MAX_SPAN_MM:
            out.append(f'{names[0]}-{names[-1]} span {span:.0f} mm (more '
                       f'than {MAX_SPAN_MM:.0f} mm)')
    return out


class FracturePredictor:
    """``FracturePredictor(s1_cfg, s1_ckpt, s2_cfg, s2_ckpt)(folder)`` ->
    one study's result: uid, probabilities per label, the slices used per
    vertebra, the stage-1 ratios and boxes, timings."""

    def __init__(self, stage1_config, stage1_checkpoint, stage2_config,
                 stage2_checkpoint, device='cpu', batch_size=64,
                 stage1_stride=1):
        self.masks = is_mask_stage1(stage1_config)
        if self.masks:
            self.stage1 = MaskStage1(stage1_config, stage1_checkpoint, device)
        else:
            self.stage1 = load_stage(stage1_config, stage1_checkpoint, device)
        self.stage2 = load_stage(stage2_config, stage2_checkpoint, device)
        if uses_masks(self.stage2) != self.masks:
            raise ValueError(
                f'stage 2 ({stage2_config}) was trained '
                f'{"with" if uses_masks(self.stage2) else "without"} stage-1 '
                f'masks but stage 1 ({stage1_config}) '
                f'{"gives" if self.masks else "does not give"} them')
        self.batch_size = batch_size
        self.stage1_stride = stage1_stride
        window = self.stage1.segmenter.hu_range if self.masks else \
            pipeline_step(self.stage1.cfg, 'LoadRsnaSlice').get(
                'window', WINDOW)
        window2 = pipeline_step(self.stage2.cfg, 'LoadRsnaSequences').get(
            'window', WINDOW)
        if tuple(window) != tuple(window2):
            raise ValueError(f'stage 1 windows HU {tuple(window)} but stage '
                             f'2 {tuple(window2)}: train them on one window')
        self.window = tuple(window)

    def __call__(self, folder, uid=None, **read_kwargs):
        t0 = time.perf_counter()
        study = StudySeries(folder, **read_kwargs)
        # the row_id of a study is its StudyInstanceUID from the headers;
        # the folder name only where the headers have none (NIfTI)
        uid = study.study_uid or uid or osp.basename(osp.normpath(folder))
        slices = study.windowed(self.window)
        t1 = time.perf_counter()
        labels = None
        if self.masks:
            ratios, boxes, labels = self.stage1(study.volume)
        else:
            ratios, boxes = predict_slices(self.stage1, slices,
                                           self.batch_size, self.stage1_stride)
        t2 = time.perf_counter()
        out = predict_fracture(self.stage2, slices, ratios, boxes, uid,
                               labels)
        if len(out['unseen']) == len(RSNA_VERTEBRAE):
            # every vertebra would get the prior: a number, not a prediction
            from ..utils.errors import InputError
            raise InputError(
                f'{folder}: stage 1 finds none of C1-C7 on any of its '
                f'{len(study.numbers)} slices: not a cervical spine CT (a '
                'chest or abdominal scan?); no probabilities are given')
        t3 = time.perf_counter()
        problems = anatomy_problems(out['sequences'], study.spacing[2])
        if problems:
            warnings.warn(
                f'study {uid}: stage 1\'s vertebra runs are implausible ('
                + '; '.join(problems) + '): the study may not show the '
                'cervical spine, or differ from the training data; do not '
                'trust its probabilities')
        used = {}
        for name, seq in zip(RSNA_VERTEBRAE, out['sequences']):
            used[name] = None if seq is None else \
                [study.numbers[k] for k in seq]
        return dict(
            uid=uid, study=study, probs=dict(zip(LABELS, out['probs'])),
            prob_array=out['probs'], slices_used=used, unseen=out['unseen'],
            ratios=ratios, boxes=boxes, anatomy_problems=problems,
            seconds=dict(load=t1 - t0, stage1=t2 - t1, stage2=t3 - t2))
