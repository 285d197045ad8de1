"""Lateral full-spine films: the 4-corner vertebra detector, levels and the
measurements made from them (sagittal alignment, heights, disc heights,
Genant grades)."""
import cv2
import numpy as np

from ..anatomy import LATERAL4_KEYPOINT_NAMES
from ..utils.errors import InputError
from ..morphometry.lateral_levels import lateral_levels
from ..morphometry.sagittal import (ORDER, disc_heights, genant_column,
                                    sagittal_alignment, vertebra_measurements)


class LateralLandmarker:
    """A trained lateral detector (``configs/vertebra_lateral``): every
    vertebra C3..L5 with its 4 corners, C2's inferior and S1's superior
    endplate, levels counted from them
    (:func:`spinemm.morphometry.lateral_levels.lateral_levels`)."""

    def __init__(self, config, checkpoint, device='cpu', score_thr=0.3,
                 backend='pytorch', pose_config=None, pose_checkpoint=None,
                 anchor_thr=0.1, level_config=None, level_checkpoint=None,
                 zoom_outs=(1.0, 2.0, 2.75), gap_thr=0.1, place_thr=0.5):
        """``score_thr``: vertebrae below are dropped; ``anchor_thr``: the
        best C2 and the best S1 detection count from this score (one of
        each is looked for, so a lower bar costs no false vertebra; on the
        7 validation films S1 scored 0.17-0.22 on three where it was
        there). ``gap_thr``: vertebrae scored from it up to ``score_thr``
        are kept only where they fill a gap of the column the others make
        (:func:`spinemm.morphometry.lateral_chain.fill_gaps`; on the 7
        held-back films recall 0.78 -> 0.90 at 0.1). ``place_thr``: with a
        second stage, vertebrae the column counts as not found are placed
        by it on a box between their found neighbours and kept from this
        mean heatmap score (:meth:`place_skipped`; None: never).
        ``pose_config`` / ``pose_checkpoint``: an optional second stage
        (``configs/vertebra_lateral/td-hm_*``), a top-down model that places
        the corners again on a crop of each detected box cut from the film
        at its own resolution; its corners replace the detector's.
        ``level_config`` / ``level_checkpoint``: an optional level
        classifier (``configs/vertebra_lateral/level-cls_*``, PyTorch):
        the levels then come from every vertebra's looks and the spacing
        together (``anchor='appearance'``), on films that show neither C2
        nor S1 too.
        ``zoom_outs``: the film is also detected on at these zoom-outs
        (:func:`zoomed_out`: put small on a black canvas, as a lumbar or
        cervical film's vertebrae look on the full-spine films the
        detector learnt from), and the pass whose column holds the most
        detector score is kept (:func:`column_score`)."""
        from .inference import VertebraDetector
        self.score_thr, self.anchor_thr = score_thr, anchor_thr
        self.gap_thr = min(gap_thr, score_thr)
        self.place_thr = place_thr
        self.zoom_outs = tuple(float(z) for z in zoom_outs)
        if not self.zoom_outs or min(self.zoom_outs) < 1:
            raise ValueError(f'zoom_outs are factors >= 1, not {zoom_outs}')
        self.detector = VertebraDetector(config, checkpoint, device,
                                         min(self.gap_thr, anchor_thr),
                                         backend=backend)
        names = self.detector.keypoint_names
        if names != tuple(LATERAL4_KEYPOINT_NAMES):
            raise InputError(
                f'{config} predicts keypoints {names}, not the lateral '
                f'4-corner scheme {tuple(LATERAL4_KEYPOINT_NAMES)}')
        self.pose = None
        if pose_config:
            from .second_stage import CornerRefiner
            self.pose = CornerRefiner(pose_config, pose_checkpoint,
                                      LATERAL4_KEYPOINT_NAMES, device,
                                      backend)
        self.levels = None
        if level_config:
            from .level_classifier import LevelClassifier
            self.levels = LevelClassifier(level_config, level_checkpoint,
                                          device)
        missing = {'vertebra', 'C2', 'S1'} - set(self.detector.classes)
        if missing:
            raise InputError(
                f'{config} has classes {self.detector.classes}: the lateral '
                f'landmarker needs vertebra, C2 and S1 (missing '
                f'{sorted(missing)})')

    def __call__(self, image, spacing=None):
        """``image``: a path or a BGR/grey array; ``spacing``: mm per pixel
        (heights and the SVA in mm; px without). Returns dict(column={level:
        (4, 2)}, anchor, consistent, skipped, alignment, vertebrae,
        discs, genant, detections, height, width)."""
        if isinstance(image, str):
            from .inference import load_image
            image, file_spacing, _ = load_image(image)
            spacing = spacing or (file_spacing[1] if file_spacing else None)
        best = None
        for zoom in self.zoom_outs:
            found = self.detect(image, zoom)
            labels = [v['label'] for v in found]
            corners = np.array([[v['keypoints'][k]
                                 for k in LATERAL4_KEYPOINT_NAMES]
                                for v in found], float).reshape(-1, 4, 2)
            scores = np.array([v['score'] for v in found], float)
            log_probs = self.levels(image, corners) if self.levels else None
            levelled = lateral_levels(labels, corners, scores, log_probs,
                                      strong_thr=self.score_thr)
            levelled['zoom_out'] = zoom
            score = column_score(levelled, scores)
            if best is None or score > best[0]:
                best = score, found, levelled
        _, found, levelled = best
        levelled['placed'] = []
        if self.pose is not None and len(found):
            # levels from the detector's boxes, corners from the second
            # stage (C2 and S1 keep their one endplate)
            refined = self.pose(image, [v['bbox'] for v in found])[0]
            before = dict(levelled['column'])
            for lv, i in levelled['source'].items():
                keep = np.isfinite(levelled['column'][lv])
                levelled['column'][lv] = np.where(keep, refined[i], np.nan)
            # a vertebra whose front the second stage turned to the back
            # keeps the detector's corners
            for lv in _facing_away(levelled['column']):
                levelled['column'][lv] = before[lv]
            if self.place_thr is not None:
                self.place_skipped(image, levelled)
        for lv in _facing_away(levelled['column']):
            del levelled['column'][lv]  # no measurement from it
            levelled['source'].pop(lv, None)
            levelled.setdefault('facing_away', []).append(lv)
        levelled['weak'] = sorted(
            {lv for lv, i in levelled['source'].items()
             if found[i]['score'] < self.score_thr} |
            set(levelled['placed']), key=ORDER.index)
        return measure_lateral(levelled, spacing, found, image.shape[:2])

    def place_skipped(self, image, levelled):
        """The vertebrae the column counts as not found (``skipped``, inside
        gaps between found ones), placed by the second stage on a box
        interpolated between their found neighbours: kept when the
        corners' mean heatmap score is ``place_thr`` or more and the
        vertebra is not a second one on a neighbour
        (:func:`skipped_boxes`). Their levels go to ``placed``."""
        boxes, levels = skipped_boxes(levelled['column'],
                                      levelled['skipped'])
        if not levels:
            return
        corners, scores = self.pose(image, boxes)
        column = levelled['column']
        for lv, box, c, s in zip(levels, boxes, corners, scores):
            off = np.abs(c.mean(0) - (box[:2] + box[2:]) / 2)
            if float(np.mean(s)) < self.place_thr or \
                    off[1] > 0.4 * (box[3] - box[1]):
                continue  # unsure, or a neighbour's corners
            trial = dict(column, **{lv: c})
            if not _plausible(trial, lv) or lv in _facing_away(trial):
                continue
            column[lv] = c
            levelled['placed'].append(lv)
        levelled['skipped'] = [lv for lv in levelled['skipped']
                               if lv not in levelled['placed']]

    def detect(self, image, zoom=1.0):
        """The detections above their thresholds, on ``image`` zoomed out
        by ``zoom`` (:func:`zoomed_out`), in ``image``'s pixels; those
        whose centre falls outside ``image`` are dropped."""
        h, w = image.shape[:2]
        shift = np.zeros(2)
        if zoom > 1:
            image, shift = zoomed_out(image, zoom)
            shift = np.asarray(shift, float)
        found = []
        for v in self.detector(image)['vertebrae']:
            if v['score'] < (self.anchor_thr if v['label'] in ('C2', 'S1')
                             else self.gap_thr):
                continue
            if zoom > 1:
                box = np.asarray(v['bbox'], float) - np.tile(shift, 2)
                cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
                if not (0 <= cx < w and 0 <= cy < h):
                    continue
                v = dict(v, bbox=[round(float(x), 2) for x in box],
                         keypoints={k: [p[0] - shift[0], p[1] - shift[1]]
                                    for k, p in v['keypoints'].items()})
                v.pop('mask', None)  # an RLE of the canvas, not the film
            found.append(v)
        return found


def skipped_boxes(column, skipped):
    """Boxes (x1, y1, x2, y2) where the ``skipped`` levels of ``column``
    should be: their corners interpolated level by level between the
    nearest found vertebrae above and below (the corner extents). Returns
    (boxes (M, 4), their levels)."""
    from ..morphometry.lateral_levels import VERTEBRA_LEVELS
    found = [k for k, lv in enumerate(VERTEBRA_LEVELS)
             if lv in column and np.isfinite(column[lv]).all()]
    boxes, levels = [], []
    for lv in skipped:
        k = VERTEBRA_LEVELS.index(lv)
        above = [j for j in found if j < k]
        below = [j for j in found if j > k]
        if not above or not below:
            continue
        a, b = above[-1], below[0]
        t = (k - a) / (b - a)
        c = ((1 - t) * np.asarray(column[VERTEBRA_LEVELS[a]], float) +
             t * np.asarray(column[VERTEBRA_LEVELS[b]], float))
        boxes.append([*c.min(0), *c.max(0)])
        levels.append(lv)
    return np.asarray(boxes, float).reshape(-1, 4), levels


def _facing_away(column):
    """The vertebra levels C3..L5 of ``column`` whose front points against
    the column's (:func:`spinemm.morphometry.lateral_chain.facing_away`)."""
    from ..morphometry.lateral_chain import facing_away
    from ..morphometry.lateral_levels import VERTEBRA_LEVELS
    levels = [lv for lv in VERTEBRA_LEVELS
              if lv in column and np.isfinite(column[lv]).all()]
    return [levels[i] for i in facing_away([column[lv] for lv in levels])]


def _plausible(column, level):
    """Does ``column[level]`` sit between its found neighbours, each at
    least 0.8 expected steps away along the column (not a second box on
    one of them)?"""
    from ..morphometry.lateral_chain import _crowded
    from ..morphometry.lateral_levels import VERTEBRA_LEVELS
    levels = [lv for lv in VERTEBRA_LEVELS
              if lv in column and np.isfinite(column[lv]).all()]
    c = np.asarray([column[lv] for lv in levels], float)
    return not _crowded(c, list(range(len(levels))), levels.index(level),
                        0.8)


def zoomed_out(image, zoom, aspect=0.42):
    """``image`` in the middle of a black canvas ``zoom`` times its height
    and at least ``aspect`` x that wide (the shape of a full-spine film),
    and the (x, y) of its top-left corner on the canvas. The detector sees
    the canvas at its own input size, so the film's vertebrae shrink by
    ``zoom``: a lumbar film at 2-2.75 looks as the lumbar spine of a
    full-spine film does."""
    h, w = image.shape[:2]
    big_h = int(round(zoom * h))
    big_w = max(w, int(round(aspect * big_h)))
    top, left = (big_h - h) // 2, (big_w - w) // 2
    canvas = np.zeros((big_h, big_w) + image.shape[2:], image.dtype)
    canvas[top:top + h, left:left + w] = image
    return canvas, (left, top)


def column_score(levelled, scores):
    """How much detector score the levelled column holds: the sum of the
    scores of the detections it measures (each counts once). The zoom-out
    that gives a film's vertebrae the size the detector knows finds more
    of them, with more confidence, along one column."""
    used = set(levelled.get('source', {}).values())
    return float(sum(scores[i] for i in used))


#: angles not measured when a level they need was found only weakly (a
#: detection under the score threshold, or placed between neighbours):
#: T1, behind the shoulders. On the 7 held-back films the weak T1s took
#: the T1 slope's error from 11.0 (3 films) to 14.3 degrees (5 films).
WITHHELD_IF_WEAK = {'T1': ('T1_slope', 'thoracic_kyphosis_T1_T12')}


def measure_lateral(levelled, spacing=None, detections=(), shape=(0, 0)):
    """The measurements of a levelled column (see :class:`LateralLandmarker`).
    Angles of :data:`WITHHELD_IF_WEAK` are None, and named with the reason
    under ``withheld``, when their level is in ``levelled['weak']``."""
    column = levelled['column']
    unit = 1.0 if spacing is None else float(spacing)
    alignment = sagittal_alignment(column, spacing)
    withheld = {}
    for lv in levelled.get('weak', ()):
        for angle in WITHHELD_IF_WEAK.get(lv, ()):
            alignment[angle] = None
            withheld[angle] = f'{lv} found only weakly (behind the shoulders?)'
    return dict(levelled, alignment=alignment, withheld=withheld,
                vertebrae=vertebra_measurements(column, unit),
                discs=disc_heights(column, unit),
                genant=genant_column(column, unit),
                unit='mm' if spacing else 'px',
                detections=list(detections), height=int(shape[0]),
                width=int(shape[1]))


#: the alignment values written on a picture, with their short names
_SHOWN = (('cervical_lordosis_C2_C7', 'CL C2-C7'),
          ('thoracic_kyphosis_T4_T12', 'TK T4-T12'),
          ('lumbar_lordosis_L1_S1', 'LL L1-S1'), ('T1_slope', 'T1 slope'))


def level_note(result):
    """What the picture says about how the levels were found, or ''.
    From appearance, a lead under 1 (the next-best count at least e^-1 as
    likely) is called unsure."""
    anchor = result.get('anchor')
    if 'column' in result and not result['column']:
        return 'no vertebra found'
    if anchor is None:
        return 'levels unanchored (no C2 or S1 found): a guess'
    if anchor == 'appearance':
        margin = result.get('margin')
        known = margin is not None and np.isfinite(margin)
        return 'levels from appearance' + (
            ', unsure' if known and margin < 1 else '') + (
            f' (lead {margin:.1f})' if known else '')
    if result.get('reconciled') and result.get('consistent') is False:
        return 'C2 and S1 disagreed on the count: a gap re-counted'
    if result.get('reconciled'):
        return 'more vertebrae than the spine has: a gap re-counted'
    if result.get('consistent') is False:
        return 'C2 and S1 disagree on the count: levels from S1'
    return ''


def draw_lateral(image, result, truth=None):
    """Corners, levels and the sagittal angles on the film (BGR). ``truth``
    (optional ``{level: (4, 2)}``) is drawn in green under the prediction;
    an unanchored column says so."""
    img = image.copy() if image.ndim == 3 else cv2.cvtColor(
        image, cv2.COLOR_GRAY2BGR)
    scale = max(1, img.shape[0] // 1000)
    for col, colour in ((truth or {}, (0, 200, 0)),
                        (result['column'], (0, 0, 255))):
        for lv, c in col.items():
            c = np.asarray(c, float)
            ok = np.isfinite(c).all(1)
            pts = c[[0, 1, 3, 2]][ok[[0, 1, 3, 2]]]
            if len(pts) >= 2:
                cv2.polylines(img, [np.round(pts).astype(np.int32)],
                              len(pts) == 4, colour, scale, cv2.LINE_AA)
            if colour == (0, 0, 255) and ok.any():
                x, y = c[ok].max(0)[0] + 8, c[ok].mean(0)[1]
                placed = lv in result.get('placed', ())
                cv2.putText(img, lv + '*' * placed, (int(x), int(y)),
                            cv2.FONT_HERSHEY_SIMPLEX, 0.5 * scale, colour,
                            scale, cv2.LINE_AA)
    shown = [(short, result['alignment'][key]) for key, short in _SHOWN]
    lines = [f'{short}: {v:.1f} deg' for short, v in shown
             if v is not None and np.isfinite(v)]
    lines += [f'{short}: not measured, {result["withheld"][key]}'
              for key, short in _SHOWN if key in result.get('withheld', {})]
    note = level_note(result)
    if note:
        lines.append(note)
    if result.get('placed'):
        lines.append('*: not detected, placed between its neighbours')
    for k, text in enumerate(lines):
        cv2.putText(img, text, (10, 30 * scale * (k + 1)),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.7 * scale, (0, 200, 255),
                    2 * scale, cv2.LINE_AA)
    return img


def _num(x, nd=3):
    """A JSON number, or None where there is none (no NaN in JSON)."""
    if x is None:
        return None
    x = float(x)
    return round(x, nd) if np.isfinite(x) else None


SAGITTAL_CSV_COLUMNS = (
    'level', 'anterior_height', 'middle_height', 'posterior_height',
    'wedge_deg', 'genant_grade', 'superior_posterior_x',
    'superior_posterior_y', 'superior_anterior_x', 'superior_anterior_y',
    'inferior_posterior_x', 'inferior_posterior_y', 'inferior_anterior_x',
    'inferior_anterior_y')


def sagittal_report(result, source=None, spacing_source=None):
    """A JSON-ready report of a :class:`LateralLandmarker` result: the
    sagittal alignment, per level its corners, heights, wedge angle and
    Genant grade, the disc heights, and how the levels were anchored."""
    heights = {r['level']: r for r in result['vertebrae']}
    grades = {g['level']: g['grade'] for g in result['genant']}
    levels = []
    for lv, c in result['column'].items():
        h = heights.get(lv, {})
        levels.append(dict(
            level=lv,
            corners={n: [_num(v, 2) for v in p]
                     for n, p in zip(LATERAL4_KEYPOINT_NAMES, c)},
            anterior_height=_num(h.get('anterior')),
            middle_height=_num(h.get('middle')),
            posterior_height=_num(h.get('posterior')),
            wedge_deg=_num(h.get('wedge_deg')),
            genant_grade=grades.get(lv)))
    levels.sort(key=lambda r: ORDER.index(r['level']))
    return dict(
        source=source, view='lateral (sagittal)', unit=result['unit'],
        spacing_source=spacing_source,
        alignment={k: _num(v) for k, v in result['alignment'].items()},
        anchor=result['anchor'], anchors_agree=result['consistent'],
        level_margin=_num(result.get('margin')),
        zoom_out=float(result.get('zoom_out', 1.0)),
        levels_note=level_note(result),
        levels_skipped=result['skipped'],
        levels_placed=list(result.get('placed', [])),
        levels_facing_away=list(result.get('facing_away', [])),
        levels_weak=list(result.get('weak', [])),
        alignment_withheld=dict(result.get('withheld', {})),
        middle_height_from='endplate centres (no mid-points on this scheme)',
        vertebrae=levels,
        discs=[dict(upper=d['upper'], lower=d['lower'],
                    anterior=_num(d['anterior']),
                    posterior=_num(d['posterior']))
               for d in result['discs']])


def write_sagittal_report(report, result, image, out_dir, stem,
                          overwrite=False):
    """``<stem>.csv`` (a row per level), ``<stem>.json`` and ``<stem>.png``,
    each written under a temporary name."""
    import csv
    import os.path as osp

    from ..utils import atomic_file, atomic_write_json
    with atomic_file(osp.join(out_dir, stem + '.csv'), '.csv',
                     overwrite=overwrite) as tmp, \
            open(tmp, 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(SAGITTAL_CSV_COLUMNS)
        for r in report['vertebrae']:
            xy = [v for p in r['corners'].values() for v in p]
            w.writerow([r['level'], r['anterior_height'], r['middle_height'],
                        r['posterior_height'], r['wedge_deg'],
                        r['genant_grade'], *xy])
    atomic_write_json(osp.join(out_dir, stem + '.json'), report, indent=1,
                      overwrite=overwrite)
    with atomic_file(osp.join(out_dir, stem + '.png'), '.png',
                     overwrite=overwrite) as tmp:
        cv2.imwrite(tmp, draw_lateral(image, result))
