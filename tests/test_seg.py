"""The pyramid segmentor, Dourthe's Dice loss, the image+label dataset and
Dourthe's augmentation."""
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from conftest import ROOT

MR = osp.join(osp.dirname(ROOT), 'shared', 'data', 'real', 'mr2d_lumbar')


def _numpy_dice_loss(probs, target, num_classes):
    """Dourthe's definition, written out independently."""
    losses = []
    for p, t in zip(probs, target):
        dices = []
        for c in range(1, num_classes):
            g = (t == c).astype(float)
            dices.append(2 * (p[c] * g).sum() / ((p[c]**2).sum() +
                                                 (g**2).sum()))
        losses.append(1 - np.mean(dices))
    return float(np.mean(losses))


def test_dice_loss_on_hand_made_masks():
    from spinemm.seg.models import DourtheDiceLoss
    target = np.zeros((1, 8, 8), int)
    target[0, 2:6, 2:6] = 1  # 16 px of class 1
    target[0, 6:8, 0:2] = 2  # 4 px of class 2
    pred = np.zeros((1, 8, 8), int)
    pred[0, 3:7, 2:6] = 1  # overlaps 12 of the 16
    pred[0, 6:8, 0:2] = 2  # perfect
    # one-hot "probabilities": Dice_1 = 24 / 32, Dice_2 = 1
    logits = torch.from_numpy(np.eye(3)[pred].transpose(0, 3, 1, 2) * 100.)
    loss = DourtheDiceLoss()(logits.float(), torch.from_numpy(target))
    assert loss.item() == pytest.approx(1 - (24 / 32 + 1) / 2, abs=1e-5)
    # soft predictions against the numpy computation
    rng = np.random.default_rng(0)
    logits = torch.from_numpy(rng.normal(size=(2, 3, 8, 8))).float()
    target2 = rng.integers(0, 3, (2, 8, 8))
    probs = logits.softmax(1).numpy()
    ours = DourtheDiceLoss()(logits, torch.from_numpy(target2)).item()
    assert ours == pytest.approx(_numpy_dice_loss(probs, target2, 3),
                                 rel=1e-5)


def test_stage_two_sees_stage_one_softmax_and_backprop_works():
    from spinemm.seg.models import PyramidSegmentor
    torch.manual_seed(0)
    model = PyramidSegmentor(num_classes=3, in_channels=1,
                             channels=(4, 8, 16), dropout=0.0)
    model.eval()
    x = torch.randn(2, 1, 32, 32)
    # stage 2's input, caught by a hook: nothing is kept on the model
    seen = []
    hook = model.stage2.register_forward_pre_hook(
        lambda module, args: seen.append(args[0].detach().clone()))
    with torch.no_grad():
        _, logits2 = model._stages(x)
    hook.remove()
    with torch.no_grad():
        half = F.interpolate(x, scale_factor=0.5, mode='bilinear',
                             align_corners=False)
        soft = model.stage1(half).softmax(1)
        up = F.interpolate(soft, size=(32, 32), mode='bilinear',
                           align_corners=False)
    assert len(seen) == 1
    torch.testing.assert_close(seen[0][:, :1], x)
    torch.testing.assert_close(seen[0][:, 1:], up)
    assert not any(isinstance(v, torch.Tensor) for v in vars(model).values())
    assert logits2.shape == (2, 3, 32, 32)
    model.train()
    from mmseg.structures import SegDataSample
    from mmengine.structures import PixelData
    samples = [SegDataSample(gt_sem_seg=PixelData(
        data=torch.randint(0, 3, (1, 32, 32)))) for _ in range(2)]
    losses = model.loss(x, samples)
    assert set(losses) == {'s1.loss_dice', 's2.loss_dice', 'mean_dice'}
    total = losses['s1.loss_dice'] + losses['s2.loss_dice']
    assert losses['mean_dice'].item() == pytest.approx(
        (2 - total.item()) / 2)
    total.backward()
    assert model.stage1.head.weight.grad.abs().sum() > 0
    assert model.stage2.head.weight.grad.abs().sum() > 0


@pytest.mark.skipif(not osp.isdir(MR), reason='../shared/data/real absent')
def test_dataset_reads_real_mr_pairs_and_checks_values(tmp_path):
    import shutil

    from mmengine.registry import init_default_scope

    from spinemm.registry import DATASETS
    init_default_scope('mmseg')
    ds = DATASETS.build(dict(type='spinemm.ImageLabelPairDataset',
                             data_root=MR, label_values=[0, 1, 2],
                             exclude_stems=['3', '7'], pipeline=[]))
    assert len(ds) == 12
    info = ds.get_data_info(0)
    assert info['img'].dtype == np.uint8 and info['img'].shape == (256, 256)
    np.testing.assert_array_equal(
        info['gt_seg_map'], np.load(osp.join(MR, 'masks', '0.npy')))
    vert = DATASETS.build(dict(type='spinemm.ImageLabelPairDataset',
                               data_root=MR, value_to_class={2: 1},
                               metainfo=dict(classes=('background',
                                                      'vertebra')),
                               stems=['2'], pipeline=[]))
    m = np.load(osp.join(MR, 'masks', '2.npy'))
    np.testing.assert_array_equal(vert.get_data_info(0)['gt_seg_map'],
                                  (m == 2).astype(np.uint8))
    # an unpaired stem and a foreign label value are named
    bad = tmp_path / 'mr'
    shutil.copytree(MR, bad)
    (bad / 'masks' / '4.npy').unlink()
    with pytest.raises(ValueError, match=r"images without a label \['4'\]"):
        DATASETS.build(dict(type='spinemm.ImageLabelPairDataset',
                            data_root=str(bad), pipeline=[]))
    np.save(bad / 'masks' / '4.npy', np.full((256, 256), 7))
    with pytest.raises(ValueError, match='4.npy'):
        DATASETS.build(dict(type='spinemm.ImageLabelPairDataset',
                            data_root=str(bad), label_values=[0, 1, 2],
                            pipeline=[]))


def test_dourthe_augmentation_keeps_labels_and_shapes():
    from spinemm.seg.transforms import DourtheAugment
    img = np.full((64, 64), 100, np.uint8)
    lab = np.zeros((64, 64), np.uint8)
    lab[20:40, 10:50] = 2
    seen = set()
    for seed in range(20):
        out = DourtheAugment(prob=0.5, seed=seed)(dict(
            img=img.copy(), gt_seg_map=lab.copy(), seg_fields=['gt_seg_map']))
        assert out['img'].shape == img.shape
        assert set(np.unique(out['gt_seg_map'])) <= {0, 2}
        seen.update(out['dourthe_steps'])
    assert seen == {'rotate', 'warp', 'crop'}
    # warping alone: the right/bottom margins become zero padding
    aug = DourtheAugment(prob=1.0, max_rotate=0.0, crop_range=(1.0, 1.0),
                         warp_range=(0.8, 0.8), seed=0)
    out = aug(dict(img=img.copy(), gt_seg_map=lab.copy(),
                   seg_fields=['gt_seg_map']))
    assert (out['img'][:, 52:] == 0).all() and (out['img'][52:] == 0).all()
    assert (out['img'][:50, :50] == 100).all()


@pytest.mark.skipif(not osp.isdir(MR), reason='../shared/data/real absent')
def test_seg_infer_tool_writes_label_maps_and_overlays(tmp_path):
    import shutil
    import sys

    import cv2
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.runner import save_checkpoint

    from conftest import ok, run_tool
    from spinemm.registry import MODELS
    cfg_path = osp.join(ROOT, 'configs', 'spine_seg',
                        'pyramid-vnet_mr2d-lumbar-256_cpu.py')
    cfg = Config.fromfile(cfg_path)
    init_default_scope('mmseg')
    model = MODELS.build(cfg.model)
    ckpt = str(tmp_path / 'model.pth')
    save_checkpoint(dict(state_dict=model.state_dict(), meta=dict(
        dataset_meta=dict(classes=('background', 'disc', 'vertebra'),
                          palette=[[0, 0, 0], [0, 200, 255],
                                   [220, 20, 60]]))), ckpt)
    src = tmp_path / 'in'
    src.mkdir()
    for stem in ('2', '3'):
        shutil.copy(osp.join(MR, 'images', f'{stem}.png'), src)
    small = cv2.resize(cv2.imread(str(src / '3.png'), 0), (200, 180))
    cv2.imwrite(str(src / '3.png'), small)  # any size goes in and out
    out = tmp_path / 'out'
    log = ok(run_tool([sys.executable, 'tools/seg_infer.py', cfg_path, ckpt,
                       str(src), '--out-dir', str(out)]))
    assert '2 slice(s) segmented' in log
    for stem, shape in (('2', (256, 256)), ('3', (180, 200))):
        lab = np.load(out / f'{stem}.npy')
        assert lab.shape == shape and set(np.unique(lab)) <= {0, 1, 2}
        np.testing.assert_array_equal(
            cv2.imread(str(out / f'{stem}.png'), cv2.IMREAD_UNCHANGED), lab)
        assert (out / f'{stem}_overlay.png').is_file()


def test_pyramid_segmentor_refuses_test_cfg_it_would_ignore():
    """mmseg's slide inference (test_cfg) is not what PyramidSegmentor
    does: refused by name instead of silently running whole images."""
    from spinemm.seg.models import PyramidSegmentor
    PyramidSegmentor(num_classes=2, channels=(4, 8), test_cfg=dict(
        mode='whole'))
    with pytest.raises(ValueError, match='slide'):
        PyramidSegmentor(num_classes=2, channels=(4, 8), test_cfg=dict(
            mode='slide', crop_size=(64, 64), stride=(32, 32)))
