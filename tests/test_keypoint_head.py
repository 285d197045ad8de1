"""The 6-keypoint RoI head: shapes, loss, decoding, and learning on phantoms."""
import numpy as np
import pytest
import torch

from spinemm.det.models import VertebraKeypointHead
from spinemm.det.models.keypoint_head import expand_rois


def _head(**kw):
    torch.manual_seed(0)
    return VertebraKeypointHead(in_channels=8, num_convs=2,
                                conv_out_channels=8, roi_feat_size=7, **kw)


def test_shapes_and_targets():
    head = _head()
    logits = head(torch.randn(3, 8, 7, 7))
    assert logits.shape == (3, 6, 14, 14)
    rois = torch.tensor([[0, 10., 20., 38., 48.]])  # 28 px: 2 px per cell
    kpts = torch.tensor([[[11., 21., 2], [37.9, 47.9, 2], [24., 34., 2],
                          [9., 30., 2], [20., 30., 0], [30., 49., 2]]])
    target, valid = head.get_targets(rois, kpts)
    assert target[0, :3].tolist() == [0, 13 * 14 + 13, 7 * 14 + 7]
    # outside the RoI (left of it, below it) or not visible: no loss
    assert valid[0].tolist() == [True, True, True, False, False, False]


def test_loss_is_cross_entropy_over_cells():
    head = _head(loss_weight=2.0)
    rois = torch.tensor([[0, 0., 0., 14., 14.]])
    kpts = torch.tensor([[[x + 0.5, 3.5, 2] for x in range(6)]],
                        dtype=torch.float)
    logits = torch.zeros(1, 6, 14, 14)
    # uniform heatmaps: log(196) per keypoint, times the loss weight
    assert head.loss(logits, rois, kpts)['loss_kpt'].item() == \
        pytest.approx(2 * np.log(196), rel=1e-5)
    for k in range(6):
        logits[0, k, 3, k] = 50.0
    assert head.loss(logits, rois, kpts)['loss_kpt'].item() < 1e-6


def test_decoding_is_sub_cell():
    head = _head()
    rois = torch.tensor([[0, 100., 50., 128., 78.]])  # 2 px per cell
    m = 14
    ys, xs = torch.meshgrid(torch.arange(m) + 0.5, torch.arange(m) + 0.5,
                            indexing='ij')
    true = [(3.3, 4.8), (7.5, 7.5), (10.9, 2.2), (0.5, 0.5), (6.0, 12.7),
            (12.2, 9.6)]  # (u, v) in cells
    logits = torch.stack([-((xs - u)**2 + (ys - v)**2) / (2 * 0.6**2)
                          for u, v in true])[None]
    kpts, scores = head.decode(logits, rois)
    want = torch.tensor([[100 + 2 * u, 50 + 2 * v] for u, v in true])
    # the log-parabola fit is exact for a Gaussian peak (2 px per cell);
    # at the border (0.5, 0.5: a cell centre) no offset is applied
    assert (kpts[0] - want).abs().max().item() < 1e-3
    assert ((scores > 0.5) & (scores <= 1)).all()
    # the argmax cell alone would be off by up to half a cell (1 px)
    argmax = torch.tensor([[100 + 2 * (int(u) + 0.5), 50 + 2 * (int(v) + 0.5)]
                           for u, v in true])
    assert (argmax - want).abs().max().item() > 0.5


def test_expanded_rois_keep_their_centre():
    rois = torch.tensor([[1, 10., 20., 30., 60.]])
    big = expand_rois(rois, 1.2)
    assert torch.allclose(big, torch.tensor([[1, 8., 16., 32., 64.]]))


def test_training_on_phantoms_lowers_the_keypoint_loss(phantom_root):
    from mmengine.config import Config
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import init_default_scope

    from conftest import ROOT
    from spinemm.registry import DATASETS, MODELS
    cfg = Config.fromfile(f'{ROOT}/configs/vertebra_det/'
                          'cascade-mask-rcnn-kpt_r18_fpn_4e_phantom-cpu.py')
    init_default_scope('mmdet')
    ds_cfg = dict(cfg.train_dataloader.dataset, data_root=phantom_root)
    ds_cfg['pipeline'] = [p for p in ds_cfg['pipeline']
                          if 'RandomFlip' not in str(p)]
    ds = DATASETS.build(ds_cfg)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    batch = model.data_preprocessor(pseudo_collate([ds[0], ds[1]]), True)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    history = []
    for _ in range(12):
        losses = model(**batch, mode='loss')
        total, _ = model.parse_losses(losses)
        opt.zero_grad()
        total.backward()
        opt.step()
        history.append(losses['s2.loss_kpt'].item())
    assert np.mean(history[-3:]) < 0.7 * np.mean(history[:3]), history
    model.eval()
    with torch.no_grad():
        out = model(**model.data_preprocessor(pseudo_collate([ds[0]]), False),
                    mode='predict')[0].pred_instances
    n = len(out.bboxes)
    assert out.keypoints.shape == (n, 6, 2)
    assert out.keypoint_scores.shape == (n, 6)
