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
    load = [dict(type='spinemm.LoadImageLabelPair')]
    ds = DATASETS.build(dict(type='spinemm.ImageLabelPairDataset',
                             data_root=MR, label_values=[0, 1, 2],
                             exclude_stems=['3', '7'], pipeline=load))
    assert len(ds) == 12
    assert 'img' not in ds.get_data_info(0)  # metadata; the pipeline loads
    info = ds[0]
    assert info['img'].dtype == np.uint8 and info['img'].shape == (256, 256)
    np.testing.assert_array_equal(
        info['gt_seg_map'], np.load(osp.join(MR, 'masks', '0.npy')))
    vert = DATASETS.build(dict(type='spinemm.ImageLabelPairDataset',
                               data_root=MR, value_to_class={2: 1},
                               metainfo=dict(classes=('background',
                                                      'vertebra')),
                               stems=['2'], pipeline=load))
    m = np.load(osp.join(MR, 'masks', '2.npy'))
    np.testing.assert_array_equal(vert[0]['gt_seg_map'],
                                  (m == 2).astype(np.uint8))
    # a pipeline without the loader would have no pixels: refused
    with pytest.raises(ValueError, match='spinemm.LoadImageLabelPair'):
        DATASETS.build(dict(type='spinemm.ImageLabelPairDataset',
                            data_root=MR, pipeline=[
                                dict(type='PackSegInputs')]))
    # an unpaired stem and a foreign label value are named
    bad = tmp_path / 'mr'
    shutil.copytree(MR, bad)
    (bad / 'masks' / '4.npy').unlink()
    with pytest.raises(ValueError, match=r"images without a label \['4'\]"):
        DATASETS.build(dict(type='spinemm.ImageLabelPairDataset',
                            data_root=str(bad), pipeline=load))
    np.save(bad / 'masks' / '4.npy', np.full((256, 256), 7))
    with pytest.raises(ValueError, match='4.npy'):
        DATASETS.build(dict(type='spinemm.ImageLabelPairDataset',
                            data_root=str(bad), label_values=[0, 1, 2],
                            pipeline=load))


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


def test_dourthe_augmentation_is_the_three_steps_in_one_resampling():
    """Against the steps applied one after another with cv2 (the definition
    written out here): the same picture, label maps agreeing but for a thin
    rim of boundary pixels, and the image less blurred than three
    interpolations leave it."""
    import cv2

    from spinemm.seg.transforms import DourtheAugment
    yy, xx = np.mgrid[:96, :128]
    img = (127 + 120 * np.sin(xx / 7.0) * np.cos(yy / 9.0)).astype(np.uint8)
    lab = ((xx - 60)**2 / 30**2 + (yy - 50)**2 / 20**2 < 1).astype(np.uint8)
    lab[10:30, 90:120] = 3
    for seed in range(8):
        aug = DourtheAugment(prob=1.0, seed=seed)
        rng = np.random.default_rng(seed)  # the draws DourtheAugment makes
        rng.random()
        angle = rng.uniform(-5.0, 5.0)
        rng.random()
        sx, sy = rng.uniform(0.8, 1.0, 2)
        rng.random()
        side = rng.uniform(0.5, 0.8) * 96
        x0, y0 = rng.uniform(0, 128 - side), rng.uniform(0, 96 - side)
        mats = [cv2.getRotationMatrix2D((128 / 2 - 0.5, 96 / 2 - 0.5),
                                        angle, 1.0),
                np.float64([[sx, 0, 0], [0, sy, 0]]),
                np.float64([[128 / side, 0, -x0 * 128 / side],
                            [0, 96 / side, -y0 * 96 / side]])]
        ref_img, ref_lab = img, lab
        for m in mats:
            ref_img = cv2.warpAffine(ref_img, m, (128, 96),
                                     flags=cv2.INTER_LINEAR)
            ref_lab = cv2.warpAffine(ref_lab, m, (128, 96),
                                     flags=cv2.INTER_NEAREST)
        out = aug(dict(img=img.copy(), gt_seg_map=lab.copy(),
                       seg_fields=['gt_seg_map']))
        assert out['dourthe_steps'] == ['rotate', 'warp', 'crop']
        diff = np.abs(out['img'].astype(int) - ref_img.astype(int))
        assert np.median(diff) <= 2 and diff.mean() < 4, (seed, diff.mean())
        assert (out['gt_seg_map'] != ref_lab).mean() < 0.02
    # one interpolation keeps fine detail that three blur away: pixel noise
    # keeps more than twice the neighbour differences of the step-by-step
    noise = np.random.default_rng(1).integers(0, 256, (96, 128), np.uint8)
    ref = noise
    for m in mats:
        ref = cv2.warpAffine(ref, m, (128, 96), flags=cv2.INTER_LINEAR)
    ours = DourtheAugment(prob=1.0, seed=7)(dict(img=noise.copy(),
                                                 seg_fields=[]))['img']

    def detail(a):
        return np.abs(np.diff(a.astype(float), axis=1)).mean()
    assert detail(ours) > 2 * detail(ref)


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


def _window_average(model, x, crop, stride):
    """Sliding-window logits written out independently of mmseg: every
    window position along each axis (the last one flush with the border),
    logits summed where windows overlap and divided by the count."""
    h, w = x.shape[-2:]

    def starts(n, c, s):
        if n <= c:
            return [0]
        return sorted(set(range(0, n - c, s)) | {n - c})
    total = torch.zeros(x.shape[0], model.num_classes, h, w)
    count = torch.zeros(1, 1, h, w)
    for y in starts(h, crop[0], stride[0]):
        for x0 in starts(w, crop[1], stride[1]):
            win = x[..., y:y + crop[0], x0:x0 + crop[1]]
            total[..., y:y + crop[0], x0:x0 + crop[1]] += model._stages(win)[1]
            count[..., y:y + crop[0], x0:x0 + crop[1]] += 1
    return total / count


def test_pyramid_segmentor_runs_mmseg_whole_and_slide_inference():
    """test_cfg is mmseg's: 'slide' averages the network's logits over
    windows (checked against an independent window loop), 'whole' runs the
    image at once; settings the network cannot take are refused by name."""
    from mmseg.structures import SegDataSample

    from spinemm.seg.models import PyramidSegmentor
    torch.manual_seed(0)
    kw = dict(num_classes=3, in_channels=1, channels=(4, 8), dropout=0.0)
    slide = dict(mode='slide', crop_size=(16, 16), stride=(8, 8))
    model = PyramidSegmentor(**kw, test_cfg=slide).eval()
    x = torch.randn(1, 1, 40, 24)
    metas = [dict(ori_shape=(40, 24), img_shape=(40, 24),
                  pad_shape=(40, 24), padding_size=[0, 0, 0, 0])]
    with torch.no_grad():
        ours = model.inference(x, [dict(m) for m in metas])
        expected = _window_average(model, x, (16, 16), (8, 8))
        whole = model._stages(x)[1]
        out = model.predict(x, [SegDataSample(metainfo=m) for m in metas])
    torch.testing.assert_close(ours, expected)
    # windows see less context than the whole image: a different answer
    assert (ours - whole).abs().max() > 1e-3
    torch.testing.assert_close(out[0].seg_logits.data, expected[0])
    assert torch.equal(out[0].pred_sem_seg.data[0], expected[0].argmax(0))
    model.test_cfg = model.check_test_cfg(dict(mode='whole'))
    with torch.no_grad():
        torch.testing.assert_close(model.inference(x, metas), whole)
    # a window as large as the image is the whole image
    model.test_cfg = model.check_test_cfg(dict(
        mode='slide', crop_size=(48, 48), stride=(32, 32)))
    with torch.no_grad():
        torch.testing.assert_close(model.inference(x, metas), whole)
    for bad, words in ((dict(mode='slide', crop_size=(10, 16),
                             stride=(8, 8)), 'multiple of 4'),
                       (dict(mode='slide', crop_size=(16, 16)), 'stride'),
                       (dict(mode='gaussian'), "'whole' or 'slide'"),
                       (dict(mode='whole', crop_size=(16, 16)), 'crop_size')):
        with pytest.raises(ValueError, match=words):
            PyramidSegmentor(**kw, test_cfg=bad)
    with pytest.raises(ValueError, match='train_cfg'):
        PyramidSegmentor(**kw, train_cfg=dict(sampler=None))


def test_present_class_dice_loss_skips_classes_the_batch_lacks():
    """Dice pooled over the batch per foreground class present, against a
    plain numpy computation; a class no image shows (class 2) changes
    nothing however much it is predicted, and a perfect prediction scores
    about 0."""
    from spinemm.seg.models import PresentClassDiceLoss
    rng = np.random.RandomState(0)
    target = torch.from_numpy(rng.choice([0, 1, 3], (2, 8, 8)))
    target[0, 0, 0] = 255  # ignored
    logits = torch.from_numpy(rng.normal(0, 1, (2, 4, 8, 8))).float()
    loss = PresentClassDiceLoss(eps=1.0)(logits, target)
    p = logits.softmax(1).numpy()
    t = target.numpy()
    want = []
    for c in (1, 3):
        g = (t == c).astype(float)
        pc = p[:, c] * (t != 255)
        want.append(1 - (2 * (pc * g).sum() + 1) / (pc.sum() + g.sum() + 1))
    assert float(loss) == pytest.approx(np.mean(want), rel=1e-5)
    louder = logits.clone()
    louder[:, 2] += 5  # class 2 everywhere: only the cross-entropy sees it
    worse = PresentClassDiceLoss(eps=1.0)(louder, target)
    assert float(worse) > float(loss)  # the present classes lost mass
    perfect = torch.nn.functional.one_hot(target.clamp(0, 3), 4).permute(
        0, 3, 1, 2).float() * 50
    assert float(PresentClassDiceLoss()(perfect, target)) < 1e-3
