"""The 3D VerSe path: patch loading (H5 cache = NIfTI), augmentation,
SegFormer3D, the patch Dice metric against a direct count, the sliding window
against a plain forward, and train -> verse_infer -> eval_verse through the
stock tools with and without the spine-localizer crop."""
import os.path as osp

import numpy as np
import pytest
import torch

from conftest import ROOT, ok, run_tool
from spinemm.formats.verse import index_verse
from spinemm.phantoms import write_verse_phantoms

UNET = osp.join(ROOT, 'configs', 'verse3d',
                'unet3d_verse-phantom-levels-64_cpu.py')


@pytest.fixture(scope='module')
def verse_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('verse3d'))
    write_verse_phantoms(root, release=2020, num_cases=2, seed=5,
                         num_vertebrae=(3, 4), progress=False)
    write_verse_phantoms(root, release=2020, num_cases=1, seed=5, split=1,
                         num_vertebrae=(3, 4), progress=False)
    return root


def test_crop_patch_matches_numpy_padding():
    from spinemm.volume3d import crop_patch
    vol = np.arange(5 * 6 * 7).reshape(5, 6, 7)
    padded = np.pad(vol, 4, constant_values=-1)
    for origin in [(-3, -2, -4), (2, 3, 4), (0, 0, 0), (4, 5, 6)]:
        want = padded[origin[0] + 4:origin[0] + 8, origin[1] + 4:origin[1] + 8,
                      origin[2] + 4:origin[2] + 8]
        np.testing.assert_array_equal(crop_patch(vol, origin, (4, 4, 4), -1),
                                      want)


def test_patches_are_foreground_centred_and_cache_independent(verse_root,
                                                              tmp_path):
    """The same draw through the H5 cache and from the NIfTI gives the same
    patch; a deterministic loader repeats itself; the labels are the
    case's own levels, read at the patch's place in the served volume."""
    from spinemm.formats.verse_volumes import load_verse_case
    from spinemm.volume3d import LoadVersePatch, VersePatchDataset
    from spinemm.volume3d.transforms import crop_patch
    ds = VersePatchDataset(verse_root, samples_per_case=3,
                           splits=['dataset-01training'], lazy_init=False)
    assert len(ds) == 6
    kw = dict(patch_size=(48, 40, 32), foreground_prob=1.0, mode='levels')
    cached = LoadVersePatch(cache_dir=str(tmp_path), **kw)
    plain = LoadVersePatch(**kw)
    info = ds.get_data_info(4)
    np.random.seed(0)
    a = cached(dict(info))
    np.random.seed(0)
    b = plain(dict(info))
    assert a['origin'] == b['origin']
    np.testing.assert_array_equal(a['img'], b['img'])
    np.testing.assert_array_equal(a['gt_seg_map'], b['gt_seg_map'])
    assert a['img'].shape == (48, 40, 32)
    served = load_verse_case(info['case'])
    raw = crop_patch(served['mask'].data, a['origin'], (48, 40, 32))
    from spinemm.formats.verse_slices import level_classes, seg_classes
    np.testing.assert_array_equal(
        a['gt_seg_map'], level_classes(raw, seg_classes('levels')))
    assert (a['gt_seg_map'] > 0).mean() > 0.02  # centred on a vertebra
    fixed = LoadVersePatch(deterministic=True, **kw)
    assert fixed(dict(info))['origin'] == fixed(dict(info))['origin']


def test_patch_dataset_names_unlabelled_cases(verse_root, tmp_path):
    import shutil

    from mmengine.logging import MMLogger

    from spinemm.volume3d import VersePatchDataset
    root = tmp_path / 'mixed'
    shutil.copytree(verse_root, root)
    case = index_verse(str(root))[0]
    import os
    os.remove(case['mask'])
    MMLogger.get_instance('mmengine')
    ds = VersePatchDataset(str(root), samples_per_case=1, lazy_init=False)
    assert case['stem'] not in {d['case']['stem'] for d in ds.data_list}
    with pytest.raises(FileNotFoundError, match='no labelled VerSe case'):
        VersePatchDataset(str(root), splits=['nope'], lazy_init=False)


def test_random_spatial_identity_and_label_set():
    """No rotation and unit scale: the coordinate map is the identity (the
    patch comes back unchanged); a real draw keeps labels in the input's
    label set (nearest neighbour, no blending across levels)."""
    from spinemm.volume3d import RandomSpatial3D
    rng = np.random.default_rng(0)
    img = rng.normal(0, 300, (24, 20, 16)).astype(np.float32)
    seg = np.zeros((24, 20, 16), np.uint8)
    seg[4:12] = 20
    seg[12:20] = 21
    same = RandomSpatial3D(prob=1.0, max_rotate=0.0, scale_range=(1, 1))(
        dict(img=img.copy(), gt_seg_map=seg.copy()))
    np.testing.assert_allclose(same['img'], img, atol=1e-3)
    np.testing.assert_array_equal(same['gt_seg_map'], seg)
    np.random.seed(1)
    moved = RandomSpatial3D(prob=1.0, max_rotate=15.0, elastic_sigma=3.0)(
        dict(img=img.copy(), gt_seg_map=seg.copy()))
    assert set(np.unique(moved['gt_seg_map'])) <= {0, 20, 21}
    assert not np.array_equal(moved['gt_seg_map'], seg)


def test_patch_dice_metric_against_a_direct_count():
    from spinemm.volume3d import PatchDiceMetric
    rng = np.random.default_rng(2)
    samples, preds, gts = [], [], []
    for _ in range(3):
        gt = rng.integers(0, 4, (6, 7, 8))
        pred = np.where(rng.random(gt.shape) < 0.7, gt,
                        rng.integers(0, 4, gt.shape))
        preds.append(pred)
        gts.append(gt)
        samples.append(dict(pred_seg_map=torch.from_numpy(pred),
                            gt_seg_map=torch.from_numpy(gt),
                            classes=('background', 'a', 'b', 'c')))
    m = PatchDiceMetric()
    m.process({}, samples)
    out = m.compute_metrics(m.results)
    P, G = np.concatenate(preds), np.concatenate(gts)
    for c, name in enumerate(('a', 'b', 'c'), 1):
        want = 2 * ((P == c) & (G == c)).sum() / ((P == c).sum() +
                                                  (G == c).sum())
        assert out[f'dice_{name}'] == pytest.approx(want)
    assert out['dice'] == pytest.approx(np.mean(
        [out['dice_a'], out['dice_b'], out['dice_c']]))
    fg = 2 * ((P > 0) & (G > 0)).sum() / ((P > 0).sum() + (G > 0).sum())
    assert out['fg_dice'] == pytest.approx(fg)


def test_segformer3d_shapes_and_refusal():
    from spinemm.volume3d import SegFormer3D
    net = SegFormer3D(1, 5, embed_dims=(8, 16, 24, 32), heads=(1, 2, 3, 4),
                      decoder_dim=16)
    y = net(torch.zeros(2, 1, 32, 64, 32))
    assert y.shape == (2, 5, 32, 64, 32)
    with pytest.raises(ValueError, match='divisible by 32'):
        net(torch.zeros(1, 1, 48, 32, 32))


def test_sliding_window_on_one_window_equals_the_forward():
    """A volume the size of the window: the Gaussian-weighted sliding window
    is the network's own softmax (weights normalise away); on a larger
    volume every voxel gets a distribution."""
    from spinemm.registry import MODELS
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('spinemm'):
        model = MODELS.build(dict(
            type='VolumeSegmentor3D',
            network=dict(type='MonaiUNet', spatial_dims=3, in_channels=1,
                         out_channels=3, channels=(4, 8), strides=(2, )),
            test_cfg=dict(roi_size=(16, 16, 16)))).eval()
    x = torch.rand(1, 1, 16, 16, 16)
    with torch.no_grad():
        direct = model.network(x).softmax(1)
    np.testing.assert_allclose(model.predict_volume(x), direct, atol=1e-5)
    big = model.predict_volume(torch.rand(1, 1, 40, 23, 17))
    assert big.shape == (1, 3, 40, 23, 17)
    np.testing.assert_allclose(big.sum(1), 1.0, atol=1e-5)


@pytest.fixture(scope='module')
def tiny_3d_run(verse_root, tmp_path_factory):
    """The UNet config (levels) and a binary 4 mm localizer, each trained
    for 3 iterations on 32^3 patches."""
    tmp = tmp_path_factory.mktemp('v3d_run')
    root = verse_root + '/'
    common = f'''
data_root = {root!r}
cache_dir = {str(tmp / 'h5')!r}
train_dataloader = dict(num_workers=0, persistent_workers=False,
                        dataset=dict(data_root=data_root, samples_per_case=2,
                                     pipeline=train_pipeline))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(data_root=data_root, samples_per_case=1,
                                   pipeline=val_pipeline))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=3, val_interval=3)
param_scheduler = []
default_hooks = dict(checkpoint=dict(interval=3), logger=dict(interval=1))
'''
    runs = {}
    for name, mode, spacing, out in (('seg', 'levels', 1.0, 28),
                                     ('loc', 'binary', 4.0, 2)):
        cfg = tmp / f'{name}.py'
        cfg.write_text(f'''
_base_ = {UNET!r}
_p = (32, 32, 32)
train_pipeline = [
    dict(type='LoadVersePatch', patch_size=_p, mode={mode!r},
         spacing={spacing}, cache_dir={str(tmp / 'h5')!r}),
    dict(type='PackVolumeInputs'),
]
val_pipeline = [
    dict(type='LoadVersePatch', patch_size=_p, mode={mode!r},
         spacing={spacing}, cache_dir={str(tmp / 'h5')!r},
         deterministic=True),
    dict(type='PackVolumeInputs'),
]
model = dict(network=dict(out_channels={out}, channels=(4, 8, 16)),
             test_cfg=dict(roi_size=_p))
{common}''')
        work = tmp / name
        log = ok(run_tool(['python', 'tools/train.py', str(cfg),
                           '--work-dir', str(work)]))
        runs[name] = dict(cfg=str(cfg), ckpt=str(work / 'iter_3.pth'),
                          log=log, work=work)
    return runs


def test_training_validates_and_keeps_best_and_last(tiny_3d_run):
    run = tiny_3d_run['seg']
    assert 'patch/dice' in run['log'] and 'patch/fg_dice' in run['log']
    files = {p.name for p in run['work'].iterdir()}
    assert any(f.startswith('best_patch_dice_iter_') for f in files)
    assert 'iter_3.pth' in files
    # the seed's niceties: snapshots per validation, loss history, and the
    # best checkpoint's test metrics once training ends
    import glob
    import json
    shots = glob.glob(str(run['work'] / 'snapshots' / 'iter_000003' / '*.png'))
    assert len(shots) == 1  # the validation split: 1 case x 1 sample
    assert (run['work'] / 'loss_history.csv').is_file()
    result = json.loads((run['work'] / 'test_metrics.json').read_text())
    assert 0 <= result['metrics']['patch/fg_dice'] <= 1


@pytest.mark.parametrize('crop', [False, True])
def test_verse_infer_and_eval_with_a_3d_model(tiny_3d_run, verse_root,
                                              tmp_path, crop):
    """tools/verse_infer.py takes the 3D config (and a localizer): masks on
    the CT's grid, body-centroid json, timings with the localize time;
    eval_verse scores them under the VerSe protocol."""
    from spinemm.io import read_nifti
    seg, loc = tiny_3d_run['seg'], tiny_3d_run['loc']
    val = osp.join(verse_root, 'dataset-02validation')
    out = tmp_path / 'pred'
    cmd = ['python', 'tools/verse_infer.py', seg['cfg'], seg['ckpt'], val,
           '--out-dir', str(out)]
    if crop:
        cmd += ['--localizer', loc['cfg'], '--localizer-checkpoint',
                loc['ckpt']]
    text = ok(run_tool(cmd))
    assert '1 CT(s) segmented' in text
    case = index_verse(val)[0]
    ct = read_nifti(case['ct'])
    mask = read_nifti(str(out / f'{case["stem"]}_seg-vert_msk.nii.gz'))
    assert mask.data.shape == ct.data.shape
    assert np.allclose(mask.affine, ct.affine)
    timings = (out / 'timings.csv').read_text()
    assert 'localize_s' in timings.splitlines()[0]
    text = ok(run_tool(['python', 'tools/analysis_tools/eval_verse.py',
                        str(out), val, '--no-hd']))
    assert 'pooled over vertebrae' in text and 'body centroids' in text


def test_localizer_without_its_checkpoint_is_refused(tiny_3d_run, verse_root,
                                                     tmp_path):
    seg = tiny_3d_run['seg']
    r = run_tool(['python', 'tools/verse_infer.py', seg['cfg'], seg['ckpt'],
                  verse_root, '--out-dir', str(tmp_path / 'o'),
                  '--localizer', seg['cfg']])
    assert r.returncode != 0
    assert '--localizer-checkpoint' in r.stderr



def test_present_dice_loss_against_a_direct_computation():
    """Batch soft Dice over the foreground classes in the labels: written
    out class by class with numpy; perfect one-hot logits give ~0; absent
    classes do not count."""
    from spinemm.volume3d.segmentor import present_dice_loss
    rng = np.random.default_rng(4)
    logits = torch.from_numpy(rng.normal(0, 2, (2, 5, 6, 7, 8))).float()
    labels = torch.from_numpy(rng.choice([0, 1, 3], (2, 6, 7, 8)))
    p = logits.softmax(1).numpy()
    y = labels.numpy()
    dices = []
    for c in (1, 3):  # present foreground classes; 2 and 4 absent
        pc, yc = p[:, c], (y == c)
        dices.append(2 * (pc * yc).sum() / (pc.sum() + yc.sum()))
    assert float(present_dice_loss(logits, labels)) == pytest.approx(
        1 - np.mean(dices), abs=1e-5)
    perfect = torch.nn.functional.one_hot(labels, 5).movedim(-1, 1) * 50.0
    assert float(present_dice_loss(perfect, labels)) < 1e-4
    assert float(present_dice_loss(logits, torch.zeros_like(labels))) == 0.0


def test_centreline_error_and_crop_coverage_on_shifted_columns():
    """A column shifted by (3, 4) mm in-plane: centreline error 5 mm on
    every shared slab, on grids of different spacing; a crop holding half
    of the true column covers half of its voxels."""
    from spinemm.io import Volume
    from spinemm.volume3d.inference import spine_box
    from spinemm.volume3d.localization import centreline_error, crop_coverage
    truth = np.zeros((40, 40, 80), np.uint8)
    truth[10:20, 10:20, 8:72] = 1  # 1 mm grid, column along k (S)
    fine = Volume(truth, np.eye(4))
    coarse_data = np.zeros((20, 20, 40), np.uint8)
    coarse_data[5:10, 5:10, 4:36] = 1
    aff = np.diag([2.0, 2.0, 2.0, 1.0])
    aff[:3, 3] = [3.0 + 0.5, 4.0 + 0.5, 0.5]  # shifted, and voxel centres
    err = centreline_error(Volume(coarse_data, aff), fine)
    assert err['mean_mm'] == pytest.approx(5.0, abs=1e-6)
    assert err['max_mm'] == pytest.approx(5.0, abs=1e-6)
    half = (slice(0, 40), slice(0, 40), slice(0, 40))
    cov = crop_coverage(fine, fine, half)
    assert cov['inside'] == pytest.approx(0.5)
    assert cov['volume_fraction'] == pytest.approx(0.5)
    # two vertebrae apart (a disc between): the box holds both, not a speck
    prob = np.zeros((30, 10, 10))
    prob[2:8, 2:8, 2:8] = 0.9
    prob[12:18, 2:8, 2:8] = 0.9
    prob[25, 9, 9] = 0.9  # a speck
    assert spine_box(prob) == (slice(2, 18), slice(2, 8), slice(2, 8))


def test_eval_localizer_runs_on_the_tiny_localizer(tiny_3d_run, verse_root):
    loc, seg = tiny_3d_run['loc'], tiny_3d_run['seg']
    text = ok(run_tool(['python', 'tools/analysis_tools/eval_localizer.py',
                        loc['cfg'], loc['ckpt'], verse_root,
                        '--seg-config', seg['cfg']]))
    assert 'case(s): centreline' in text and 'vertebrae in crop' in text


def test_a_mask_without_its_ct_is_named(verse_root, tmp_path):
    """A labelled case whose CT is missing leaves a mixed tree with a
    warning that names the mask (it used to vanish without a word)."""
    import os
    import shutil

    from spinemm.formats.verse import orphan_masks
    root = tmp_path / 'mixed'
    shutil.copytree(verse_root, root)
    case = index_verse(str(root))[0]
    os.remove(case['ct'])
    with pytest.warns(UserWarning, match=osp.basename(case['mask'])):
        cases = index_verse(str(root))
    assert case['stem'] not in {c['stem'] for c in cases}
    assert orphan_masks(str(root), cases) == [case['mask']]


def test_spine_box_keeps_the_column_not_a_distant_blob():
    """Two vertebrae on one axial position and a sizeable false positive
    60 voxels to the side: with a column radius the box is the column's."""
    from spinemm.volume3d.inference import spine_box
    prob = np.zeros((30, 80, 20))
    prob[2:8, 2:8, 2:8] = 0.9
    prob[12:18, 2:8, 2:8] = 0.9
    prob[20:25, 70:75, 2:7] = 0.9  # 125 voxels vs 216: kept without radius
    assert spine_box(prob)[1] == slice(2, 75)
    assert spine_box(prob, column_radius=10) == (
        slice(2, 18), slice(2, 8), slice(2, 8))


def test_spine_box_falls_back_with_a_warning_when_unsure():
    """When the column around the largest component holds less than half
    of what was found, the box of everything is kept and a warning names
    the scan (cutting vertebrae off would be a silent wrong result)."""
    from spinemm.volume3d.inference import spine_box
    prob = np.zeros((30, 80, 20))
    prob[2:8, 2:8, 2:8] = 0.9  # 216 voxels
    prob[12:18, 60:66, 2:8] = 0.9  # 216, far to the side
    prob[20:26, 70:76, 2:8] = 0.9  # 216
    with pytest.warns(UserWarning, match='scan.nii.gz: the spine localizer'):
        box = spine_box(prob, column_radius=10, source='scan.nii.gz')
    assert box == (slice(2, 26), slice(2, 76), slice(2, 8))
