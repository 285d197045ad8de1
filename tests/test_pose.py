"""The mmpose top-down vertebra model: meta, dataset, flips, head, metric."""
import copy

import numpy as np
import pytest
import torch

from spinemm.anatomy import KEYPOINT_NAMES, OKS_SIGMAS


@pytest.fixture(scope='module')
def pose_ds(phantom_root):
    from mmengine.registry import init_default_scope

    from spinemm.registry import DATASETS
    init_default_scope('mmpose')
    return DATASETS.build(dict(
        type='spinemm.VertebraPoseDataset', data_root=phantom_root,
        data_mode='topdown', ann_file='annotations/train.json',
        data_prefix=dict(img='images/'),
        pipeline=[dict(type='LoadImage'),
                  dict(type='GetBBoxCenterScale', padding=1.4)]))


def test_meta_matches_anatomy_and_has_no_flip_pairs(pose_ds):
    meta = pose_ds.metainfo
    names = [meta['keypoint_id2name'][i] for i in range(6)]
    assert tuple(names) == KEYPOINT_NAMES
    np.testing.assert_allclose(meta['sigmas'], OKS_SIGMAS)
    assert meta['flip_indices'] == list(range(6))


def test_flip_moves_points_and_keeps_names(pose_ds):
    from mmpose.datasets.transforms import RandomFlip
    from spinemm.formats import load_coco_json
    r = pose_ds[0]
    w = r['img'].shape[1]
    out = RandomFlip(prob=1.0, direction='horizontal')(copy.deepcopy(r))
    k0, k1 = r['keypoints'][0], out['keypoints'][0]
    # mmpose flips pixel indices: x' = w - 1 - x
    np.testing.assert_allclose(k1[:, 0], w - 1 - k0[:, 0], atol=1e-4)
    np.testing.assert_allclose(k1[:, 1], k0[:, 1])
    # the anterior (*_left) points change image side, their names do not
    ant_left_before = k0[0, 0] < k0[2, 0]
    assert (k1[0, 0] < k1[2, 0]) != ant_left_before
    assert len(pose_ds) == len(load_coco_json(
        pose_ds.ann_file)['annotations'])


def test_heatmap_centroid_and_endplate_geometry():
    from spinemm.pose.heads import endplate_geometry, heatmap_centroid
    ys, xs = torch.meshgrid(torch.arange(24.), torch.arange(24.),
                            indexing='ij')
    centres = [(5.3, 7.1), (12.0, 12.5), (18.6, 4.2)]
    hm = torch.stack([torch.exp(-((xs - x)**2 + (ys - y)**2) / (2 * 1.5**2))
                      for x, y in centres])[None]
    got = heatmap_centroid(hm)[0]
    assert torch.allclose(got, torch.tensor(centres), atol=1e-3)
    pts = torch.tensor([[[0., 10], [5, 11], [10, 10], [10, 0], [5, 1],
                         [0, 0]]])
    g = endplate_geometry(pts)
    # bottom endplate: the middle sits 1 px below the corners' mid-point
    assert g[0, 0, 0].tolist() == [0, 1] and g[0, 0, 1].tolist() == [10, 0]
    assert g[0, 1, 0].tolist() == [0, 1] and g[0, 1, 1].tolist() == [10, 0]


def test_geometric_term_is_zero_for_a_perfect_prediction():
    from mmpose.structures import PoseDataSample
    from mmengine.structures import InstanceData, PixelData

    from spinemm.pose import VertebraHeatmapHead
    head = VertebraHeatmapHead(in_channels=8, out_channels=6,
                               deconv_out_channels=(), final_layer=None,
                               geometric_weight=1.0,
                               loss=dict(type='KeypointMSELoss',
                                         use_target_weight=True))
    ys, xs = torch.meshgrid(torch.arange(8.), torch.arange(8.),
                            indexing='ij')
    pts = [(1, 6), (4, 6.5), (7, 6), (7, 1), (4, 1.5), (1, 1)]
    hm = torch.stack([torch.exp(-((xs - x)**2 + (ys - y)**2) / 2)
                      for x, y in pts])
    sample = PoseDataSample(gt_fields=PixelData(heatmaps=hm),
                            gt_instance_labels=InstanceData(
                                keypoint_weights=torch.ones(1, 6)))
    # with no layers the head's output is its input: feed the targets
    losses = head.loss((hm[None], ), [sample])
    assert losses['loss_geom'].item() == pytest.approx(0, abs=1e-6)
    shifted = torch.roll(hm, 2, dims=-1)
    shifted[1] = hm[1]  # move all but the bottom middle point
    assert head.loss((shifted[None], ), [sample])['loss_geom'].item() > 1


def test_geometric_head_runs_its_layers_once_per_loss():
    """The geometric term reuses mmpose's forward of the loss: the final
    layer runs once, and the loss equals the independent computation on
    the head's output."""
    from mmpose.structures import PoseDataSample
    from mmengine.structures import InstanceData, PixelData

    from spinemm.pose import VertebraHeatmapHead
    from spinemm.pose.heads import endplate_geometry, heatmap_centroid
    torch.manual_seed(0)
    head = VertebraHeatmapHead(in_channels=8, out_channels=6,
                               deconv_out_channels=(), geometric_weight=0.5,
                               loss=dict(type='KeypointMSELoss',
                                         use_target_weight=True))
    calls = []
    head.final_layer.register_forward_hook(lambda *a: calls.append(1))
    feats = (torch.rand(2, 8, 8, 8), )
    gt = torch.rand(2, 6, 8, 8)
    samples = [PoseDataSample(gt_fields=PixelData(heatmaps=gt[i]),
                              gt_instance_labels=InstanceData(
                                  keypoint_weights=torch.ones(1, 6)))
               for i in range(2)]
    losses = head.loss(feats, samples)
    assert len(calls) == 1
    assert 'forward' not in vars(head)  # the method is back
    with torch.no_grad():
        pred = head.final_layer(feats[0])
    want = (endplate_geometry(heatmap_centroid(pred)) -
            endplate_geometry(heatmap_centroid(gt))).abs().sum((-1, -2))
    assert losses['loss_geom'].item() == pytest.approx(
        0.5 * want.mean().item(), rel=1e-5)
    assert losses['loss_kpt'].item() == pytest.approx(
        head.loss_module(pred, gt, torch.ones(2, 6)).item(), rel=1e-5)


def test_morphometry_metric_is_perfect_on_ground_truth(phantom_root):
    from spinemm.formats import load_coco_json
    from spinemm.pose import VertebraMorphometryMetric
    ann = f'{phantom_root}/annotations/val.json'
    coco = load_coco_json(ann)
    metric = VertebraMorphometryMetric(ann)
    results = [dict(id=a['id'], img_id=a['image_id'],
                    keypoints=np.array(a['keypoints']).reshape(6, 3)[:, :2],
                    scores=np.ones(6)) for a in coco['annotations']]
    out = metric.compute_metrics(results)
    assert out['Ha_MAE_mm'] == 0 and out['grade_acc'] == 1
    assert out['images_skipped'] == 0
    assert out['num_vertebrae'] == len(coco['annotations'])
    # a 1 px vertical error on every top_middle point: Hm off by spacing
    for r in results:
        r['keypoints'] = r['keypoints'].copy()
        r['keypoints'][4, 1] -= 1.0
    out = metric.compute_metrics(results)
    spacing = np.mean([im['pixel_spacing'][0] for im in coco['images']])
    assert out['Hm_MAE_mm'] == pytest.approx(spacing, rel=0.2)
    assert out['Ha_MAE_mm'] == 0


def test_bbox_file_gives_one_sample_per_detection(phantom_root, tmp_path):
    """Test time on a detector's boxes (the ``.bbox.json`` test.py --out
    writes): one sample per detection scoring ``filter_cfg.bbox_score_thr`` or more, its box
    score, on the image the detection names."""
    import json
    import os.path as osp

    from mmengine.registry import init_default_scope

    from spinemm.registry import DATASETS
    init_default_scope('mmpose')
    coco = json.load(open(osp.join(phantom_root, 'annotations', 'val.json')))
    rng = np.random.default_rng(0)
    dets = []
    for a in coco['annotations']:
        x, y, w, h = a['bbox']
        dets.append(dict(image_id=a['image_id'], category_id=1,
                         bbox=[x + rng.uniform(-2, 2), y + rng.uniform(-2, 2),
                               w, h], score=float(rng.uniform(0.05, 1.0))))
    path = tmp_path / 'pred.bbox.json'
    path.write_text(json.dumps(dets))
    ds = DATASETS.build(dict(
        type='spinemm.VertebraPoseDataset', data_root=phantom_root,
        data_mode='topdown', ann_file='annotations/val.json',
        data_prefix=dict(img='images/'), test_mode=True,
        bbox_file=str(path), filter_cfg=dict(bbox_score_thr=0.3),
        pipeline=[]))
    kept = [d for d in dets if d['score'] >= 0.3]
    assert 0 < len(kept) < len(dets) and len(ds) == len(kept)
    files = {i['id']: i['file_name'] for i in coco['images']}
    got = sorted((osp.basename(s['img_path']), float(s['bbox_score'][0]),
                  *s['bbox'][0].tolist())
                 for s in map(ds.get_data_info, range(len(ds))))
    want = sorted((files[d['image_id']], d['score'], d['bbox'][0],
                   d['bbox'][1], d['bbox'][0] + d['bbox'][2],
                   d['bbox'][1] + d['bbox'][3]) for d in kept)
    assert [g[0] for g in got] == [w[0] for w in want]
    np.testing.assert_allclose([g[1:] for g in got], [w[1:] for w in want],
                               rtol=1e-6, atol=1e-4)


def test_test_tool_show_dir_draws_every_image(phantom_root, tmp_path):
    """tools/test.py --show-dir for the top-down model: mmpose's hook draws
    one picture per vertebra (``<image>_<k>.png``, the whole image with that
    vertebra's keypoints), in the run folder."""
    import glob
    import json
    import os.path as osp
    import sys

    import cv2
    from mmpose.apis import init_model

    from conftest import ROOT, ok, run_tool
    cfg_file = osp.join(ROOT, 'configs', 'vertebra_pose',
                        'td-hm_res18_8e_phantom-cpu-96x96.py')
    root = phantom_root.rstrip('/') + '/'
    cfg = tmp_path / 'tiny_pose.py'
    cfg.write_text(f'''
_base_ = {cfg_file!r}
test_dataloader = dict(num_workers=0, persistent_workers=False,
                       dataset=dict(data_root={root!r}))
test_evaluator = [dict(type='CocoMetric',
                       ann_file={root + 'annotations/val.json'!r})]
''')
    torch.manual_seed(0)
    model = init_model(str(cfg), None, device='cpu')
    ckpt = str(tmp_path / 'pose.pth')
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict(dataset_meta=model.dataset_meta)), ckpt)
    ok(run_tool([sys.executable, 'tools/test.py', str(cfg), ckpt,
                 '--work-dir', str(tmp_path / 'work'), '--show-dir', 'pics']))
    val = json.load(open(osp.join(root, 'annotations', 'val.json')))
    pics = sorted(glob.glob(str(tmp_path / 'work' / '*' / 'pics' / '*')))
    want = []
    for img in val['images']:
        n = sum(a['image_id'] == img['id'] for a in val['annotations'])
        stem = osp.splitext(img['file_name'])[0]
        want += [f'{stem}_{k}.png' for k in range(n)]
    assert sorted(osp.basename(p) for p in pics) == sorted(want)
    for p in pics:
        image = osp.basename(p).rsplit('_', 1)[0] + '.png'
        src = cv2.imread(osp.join(root, 'images', image))
        assert cv2.imread(p).shape[:2] == src.shape[:2]
