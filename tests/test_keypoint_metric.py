"""Keypoint metrics against mmpose's and xtcocotools' implementations, misses,
and the mask-corner baseline."""
import json

import numpy as np
import pytest

from spinemm.evaluation import (KeypointAccumulator, box_iou,
                                keypoints_from_mask, match_by_iou)


def _scene(rng, n=5):
    boxes, kpts = [], []
    for i in range(n):
        x, y = 20 + rng.uniform(0, 5), 20 + 40 * i
        w, h = rng.uniform(25, 35), rng.uniform(20, 28)
        boxes.append([x, y, x + w, y + h])
        kpts.append([[x, y + h, 2], [x + w / 2, y + h, 2], [x + w, y + h, 2],
                     [x + w, y, 2], [x + w / 2, y, 2], [x, y, 2]])
    return np.array(boxes), np.array(kpts, float)


def test_iou_and_greedy_matching():
    gt = np.array([[0, 0, 10, 10], [20, 0, 30, 10]], float)
    pred = np.array([[21, 0, 31, 10], [0, 0, 10, 9], [0, 0, 10, 10]], float)
    assert box_iou(gt[:1], gt[:1])[0, 0] == 1
    assert box_iou(pred[:1], gt[1:])[0, 0] == pytest.approx(90 / 110)
    match, iou = match_by_iou(pred, [0.9, 0.8, 0.3], gt)
    # the higher-scored near-duplicate wins gt 0; the third finds nothing
    assert match.tolist() == [1, 0] and iou[0] == pytest.approx(0.9)


def test_pck_epe_auc_equal_mmpose_functional():
    from mmpose.evaluation.functional import (keypoint_auc, keypoint_epe,
                                              keypoint_pck_accuracy)
    rng = np.random.default_rng(0)
    boxes, gt = _scene(rng)
    gt[1, 4, 2] = 0  # one invisible point: no error counted
    pred = gt[..., :2] + rng.normal(0, 2.0, gt[..., :2].shape)
    acc = KeypointAccumulator()
    acc.add(boxes, np.ones(len(boxes)), pred, boxes, gt)
    ours = acc.summary()
    mask = gt[..., 2] > 0
    diag = np.hypot(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
    norm = np.stack([diag, diag], 1)
    for a in (0.05, 0.1):
        _, theirs, _ = keypoint_pck_accuracy(pred, gt[..., :2], mask, a, norm)
        assert ours[f'PCK@{a:g}'] == pytest.approx(theirs)
    assert ours['EPE_px'] == pytest.approx(keypoint_epe(pred, gt[..., :2],
                                                        mask))
    # mmpose's AUC takes one normaliser: with equal box diagonals the
    # per-vertebra normalisation is the same thing
    same = boxes.copy()
    same[:, 2] = same[:, 0] + 30
    same[:, 3] = same[:, 1] + 24
    acc2 = KeypointAccumulator()
    acc2.add(same, np.ones(5), pred, same, gt)
    d = np.hypot(30, 24)
    assert acc2.summary()['AUC'] == pytest.approx(
        keypoint_auc(pred, gt[..., :2], mask, 0.1 * d, num_thrs=20))


def test_missed_vertebrae_count_as_wrong_and_are_reported():
    rng = np.random.default_rng(1)
    boxes, gt = _scene(rng)
    acc = KeypointAccumulator()
    # perfect predictions for 4 of 5 vertebrae, the last one missed
    acc.add(boxes[:4], np.ones(4), gt[:4, :, :2], boxes, gt,
            spacing=(0.5, 0.5))
    s = acc.summary()
    assert s['num_missed'] == 1 and s['num_gt'] == 5
    assert s['PCK@0.05'] == pytest.approx(0.8)
    assert s['PCK@2mm'] == pytest.approx(0.8)
    assert s['EPE_px'] == 0 and s['EPE_mm'] == 0


def test_mm_errors_use_row_and_column_spacing():
    boxes = np.array([[0, 0, 40, 30.]])
    gt = np.zeros((1, 6, 3))
    gt[..., 2] = 2
    pred = np.zeros((1, 6, 2))
    pred[..., 0] = 3.0  # 3 px along x = columns
    acc = KeypointAccumulator()
    acc.add(boxes, [1.0], pred, boxes, gt, spacing=(0.2, 0.5))
    s = acc.summary()
    assert s['EPE_px'] == pytest.approx(3) and s['EPE_mm'] == \
        pytest.approx(1.5)
    assert s['PCK@2mm'] == 1 and s['PCK@4mm'] == 1


def test_keypoint_ap_equals_xtcocotools_on_the_same_arrays(tmp_path):
    from xtcocotools.coco import COCO
    from xtcocotools.cocoeval import COCOeval

    from spinemm.anatomy import OKS_SIGMAS
    from spinemm.det.metrics import VertebraKeypointMetric
    from spinemm.formats import coco_categories
    rng = np.random.default_rng(2)
    images, anns, results = [], [], []
    for img_id in (1, 2):
        boxes, gt = _scene(rng, 4)
        images.append(dict(id=img_id, file_name=f'{img_id}.png', width=100,
                           height=200))
        for b, k in zip(boxes, gt):
            anns.append(dict(id=len(anns) + 1, image_id=img_id,
                             category_id=1, iscrowd=0,
                             bbox=[b[0], b[1], b[2] - b[0], b[3] - b[1]],
                             area=float((b[2] - b[0]) * (b[3] - b[1])),
                             keypoints=k.ravel().tolist(), num_keypoints=6))
        noisy = gt[..., :2] + rng.normal(0, 1.0, gt[..., :2].shape)
        results.append(dict(img_id=img_id, boxes=boxes,
                            scores=rng.uniform(0.5, 1, len(boxes)),
                            labels=np.zeros(len(boxes), int),
                            keypoints=noisy))
    ann_file = tmp_path / 'gt.json'
    ann_file.write_text(json.dumps(dict(images=images, annotations=anns,
                                        categories=coco_categories())))
    metric = VertebraKeypointMetric(str(ann_file),
                                    outfile_prefix=str(tmp_path / 'out'))
    ours = metric.compute_metrics(results)
    coco = COCO(str(ann_file))
    dets = coco.loadRes([
        dict(image_id=r['img_id'], category_id=1, score=float(s),
             keypoints=np.concatenate([k, np.ones((6, 1))], 1).ravel()
             .tolist()) for r in results
        for k, s in zip(r['keypoints'], r['scores'])])
    ev = COCOeval(coco, dets, 'keypoints', np.array(OKS_SIGMAS))
    ev.evaluate()
    ev.accumulate()
    ev.summarize()
    assert ours['kpt_AP'] == pytest.approx(ev.stats[0])
    assert ours['kpt_AP50'] == pytest.approx(ev.stats[1])
    assert 0 < ours['kpt_AP'] < 1
    # SpineKey's per-image form and the bbox file for mmpose top-down
    per_image = json.loads((tmp_path / 'out.keypoints.json').read_text())
    assert set(per_image) == {'1.png', '2.png'}
    assert len(per_image['1.png']['pred']) == 4
    assert all(m['iou'] == 1.0 for m in per_image['1.png']['matches'])
    bbox_file = json.loads((tmp_path / 'out.bbox.json').read_text())
    assert len(bbox_file) == 8 and set(bbox_file[0]) == {
        'image_id', 'category_id', 'bbox', 'score'}


def test_mask_corner_baseline_on_phantom_outlines(phantom_root):
    import cv2

    from spinemm.formats import load_coco_json
    coco = load_coco_json(f'{phantom_root}/annotations/train.json')
    images = {im['id']: im for im in coco['images']}
    errs = {'left': [], 'right': []}
    for a in coco['annotations'][:40]:
        im = images[a['image_id']]
        mask = np.zeros((im['height'], im['width']), np.uint8)
        poly = np.array(a['segmentation'][0]).reshape(-1, 2)
        cv2.fillPoly(mask, [np.round(poly - 0.5).astype(np.int32)], 1)
        k = keypoints_from_mask(mask, im['facing'])
        gt = np.array(a['keypoints']).reshape(6, 3)[:, :2]
        errs[im['facing']].append(np.hypot(*(k - gt).T))
    for facing, e in errs.items():
        assert e, facing
        # named correctly in both facings: a swap would cost a body width
        assert np.median(np.concatenate(e)) < 2.0, facing
    assert keypoints_from_mask(np.zeros((5, 5))) is None


# --- ordinary real-evaluation cases (issue 11, item 5) -------------------

def test_an_image_without_predictions_scores_every_vertebra_missed():
    rng = np.random.default_rng(1)
    boxes, gt = _scene(rng, 3)
    acc = KeypointAccumulator()
    acc.add(np.zeros((0, 4)), np.zeros(0), np.zeros((0, 6, 2)), boxes, gt,
            spacing=(0.5, 0.5))
    s = acc.summary()
    assert s['num_missed'] == 3 and s['num_gt'] == 3
    assert s['PCK@0.05'] == 0.0 and s['AUC'] == 0.0
    assert s['PCK@2mm'] == 0.0 and np.isnan(s['EPE_px'])


def test_an_image_without_ground_truth_counts_false_positives():
    rng = np.random.default_rng(2)
    boxes, gt = _scene(rng, 2)
    acc = KeypointAccumulator()
    acc.add(boxes, np.ones(2), gt[..., :2], np.zeros((0, 4)),
            np.zeros((0, 6, 3)))
    acc.add(boxes, np.ones(2), gt[..., :2], boxes, gt)  # a normal image
    s = acc.summary()
    assert s['num_false_positive'] == 2 and s['num_pred'] == 4
    assert s['num_gt'] == 2 and s['PCK@0.05'] == 1.0


def test_nan_keypoints_of_a_matched_vertebra_count_as_missed():
    """Before: EPE became NaN when a mask yielded no keypoints."""
    rng = np.random.default_rng(3)
    boxes, gt = _scene(rng, 2)
    pred = gt[..., :2].copy()
    pred[0] = np.nan  # a mask without keypoints
    pred[1] += 1.0
    acc = KeypointAccumulator()
    acc.add(boxes, np.ones(2), pred, boxes, gt, spacing=(1.0, 1.0))
    s = acc.summary()
    assert s['EPE_px'] == pytest.approx(np.sqrt(2))
    assert s['num_nan_keypoints'] == 6
    # 6 of 12 points found, each sqrt(2) px off: below 0.1 * diagonal
    assert s['PCK@0.1'] == pytest.approx(0.5)
    assert s['PCK@2mm'] == pytest.approx(0.5)


def test_metric_scores_images_without_predictions_or_truth(tmp_path):
    """Before: VertebraKeypointMetric raised on both (reshape of an empty
    array), ordinary in real evaluation."""
    from spinemm.det.metrics import VertebraKeypointMetric
    from spinemm.formats import coco_categories
    rng = np.random.default_rng(4)
    boxes, gt = _scene(rng, 3)
    images = [dict(id=i, file_name=f'{i}.png', width=100, height=200)
              for i in (1, 2, 3)]
    anns = [dict(id=j + 1, image_id=i, category_id=1, iscrowd=0,
                 bbox=[b[0], b[1], b[2] - b[0], b[3] - b[1]],
                 area=float((b[2] - b[0]) * (b[3] - b[1])),
                 keypoints=k.ravel().tolist(), num_keypoints=6)
            for i in (1, 2) for j, (b, k) in enumerate(zip(boxes, gt),
                                                       3 * (i - 1))]
    ann_file = tmp_path / 'gt.json'
    ann_file.write_text(json.dumps(dict(images=images, annotations=anns,
                                        categories=coco_categories())))
    empty = dict(boxes=np.zeros((0, 4)), scores=np.zeros(0),
                 labels=np.zeros(0, int), keypoints=np.zeros((0, 6, 2)))
    full = dict(boxes=boxes, scores=np.ones(3), labels=np.zeros(3, int),
                keypoints=gt[..., :2])
    results = [dict(empty, img_id=1),  # truth, no prediction
               dict(full, img_id=2),  # perfect
               dict(full, img_id=3)]  # predictions, no truth
    out = VertebraKeypointMetric(str(ann_file)).compute_metrics(results)
    assert out['num_gt'] == 6 and out['num_missed'] == 3
    assert out['num_false_positive'] == 3
    assert out['PCK@0.05'] == pytest.approx(0.5)
    assert out['EPE_px'] == pytest.approx(0.0)
