"""The second stage of the two-stage landmark models
(spinemm.apis.second_stage.CornerRefiner, configs/vertebra_ap/td-hm_*):
the crop of a detected box and its way back to the film, on real AP films.
"""
import os.path as osp

import numpy as np
import pytest

from conftest import AASCE, ROOT

AP_POSE = osp.join(ROOT, 'configs/vertebra_ap/td-hm_effl0-in1k_aasce-cpu-160x96.py')
LAT_POSE = osp.join(
    ROOT, 'configs/vertebra_lateral/td-hm_effl0-in1k_lateral-cpu-128x128.py')


def _ap_samples(aasce_coco, flip, n=40):
    """The first ``n`` vertebrae of the real validation films through the
    AP second stage's crop (optionally after a horizontal flip)."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import spinemm  # noqa: F401 (registers the dataset)
    from spinemm.registry import DATASETS
    cfg = Config.fromfile(AP_POSE)
    init_default_scope('mmpose')
    steps = [dict(type='LoadImage'),
             dict(type='GetBBoxCenterScale', padding=1.25)]
    if flip:
        steps.append(dict(type='RandomFlip', prob=1.0,
                          direction='horizontal'))
    steps.append(dict(type='TopdownAffine',
                      input_size=cfg.codec['input_size']))
    ds = DATASETS.build(dict(
        type='spinemm.APVertebraPoseDataset', data_root='',
        ann_file=aasce_coco + 'val.json',
        data_prefix=dict(img=AASCE + '/images/'), pipeline=steps,
        indices=n))
    return cfg, [(ds.get_data_info(i), ds[i]) for i in range(len(ds))]


def test_ap_flip_swaps_right_and_left(aasce_coco):
    """After a horizontal flip each corner still lies on its name's image
    side (an AP film shows the patient's right on the image's left), and the
    flipped corners are spinemm.anatomy.flip_ap_keypoints of the originals
    (mmpose mirrors x -> w - 1 - x)."""
    from spinemm.anatomy import flip_ap_keypoints
    _, samples = _ap_samples(aasce_coco, flip=True)
    for info, s in samples:
        k = s['keypoints'][0]
        assert (k[[0, 2], 0] < k[[1, 3], 0]).all(), info['img_path']
        width = s['ori_shape'][1]
        np.testing.assert_allclose(
            k, flip_ap_keypoints(info['keypoints'][0], width - 1), atol=1e-4)


def test_crop_coordinates_map_back_to_the_film_exactly(aasce_coco):
    """The truth corners moved into the 160x96 crop (TopdownAffine), given
    to the model's own way back (TopdownPoseEstimator.add_pred_to_datasample,
    which every prediction takes) come back where they were on the film,
    with and without a flip."""
    from mmengine.structures import InstanceData
    from mmpose.apis import init_model
    from mmpose.structures import PoseDataSample
    for flip in (False, True):
        cfg, samples = _ap_samples(aasce_coco, flip=flip, n=12)
        model = init_model(cfg, None, device='cpu')
        for info, s in samples:
            meta = {k: s[k] for k in ('input_center', 'input_scale',
                                      'input_size')}
            ds = PoseDataSample(metainfo=meta)
            ds.gt_instances = InstanceData(bboxes=s['bbox'],
                                           bbox_scores=np.ones(1))
            pred = InstanceData(
                keypoints=np.array(s['transformed_keypoints'], float),
                keypoint_scores=np.ones((1, 4)))
            out = model.add_pred_to_datasample([pred], None, [ds])[0]
            np.testing.assert_allclose(out.pred_instances.keypoints,
                                       s['keypoints'], atol=1e-3)
            inside = (s['transformed_keypoints'] >= 0).all()
            assert inside, f'{info["img_path"]}: a corner left the crop'


def test_refiner_moves_with_the_film(aasce_coco):
    """The whole second stage (crop, network, decoding, back to the film; an
    untrained network, as the property holds for any weights): a film set
    into a larger canvas at (37, 91) with its boxes moved the same gives the
    same corners moved by exactly (37, 91)."""
    import cv2
    import torch

    from spinemm.anatomy import AP_KEYPOINT_NAMES
    from spinemm.apis.second_stage import CornerRefiner
    from spinemm.formats import load_coco_json
    coco = load_coco_json(aasce_coco + 'val.json')
    image = coco['images'][0]
    boxes = np.array([a['bbox'] for a in coco['annotations']
                      if a['image_id'] == image['id']], float)
    boxes[:, 2:] += boxes[:, :2]
    film = cv2.imread(osp.join(AASCE, 'images', image['file_name']))
    torch.manual_seed(0)
    refiner = CornerRefiner(AP_POSE, None, AP_KEYPOINT_NAMES)
    dx, dy = 37, 91
    canvas = np.zeros((film.shape[0] + 200, film.shape[1] + 100, 3),
                      np.uint8)
    canvas[dy:dy + film.shape[0], dx:dx + film.shape[1]] = film
    a, sa = refiner(film, boxes)
    b, sb = refiner(canvas, boxes + [dx, dy, dx, dy])
    assert a.shape == (len(boxes), 4, 2) and sa.shape == (len(boxes), 4)
    np.testing.assert_allclose(b, a + [dx, dy], atol=1e-3)
    np.testing.assert_allclose(sb, sa, atol=1e-5)


def test_refiner_of_another_scheme_is_refused():
    """A lateral second stage behind an AP detector: an error naming the
    config, not corners under the wrong names."""
    from spinemm.anatomy import AP_KEYPOINT_NAMES
    from spinemm.apis.second_stage import CornerRefiner
    from spinemm.utils.errors import InputError
    with pytest.raises(InputError, match='td-hm_effl0-in1k_lateral'):
        CornerRefiner(LAT_POSE, None, AP_KEYPOINT_NAMES)
