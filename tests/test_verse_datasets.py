"""VerSe for the OpenMMLab libraries: H5 cache, 2D/2.5D slices for mmdet and
mmseg, 3D patches, and the verse2coco / verse2seg exports, on CT phantoms
written in the published VerSe 2019 layout."""
import json
import os
import os.path as osp

import numpy as np
import pytest
from pycocotools.coco import COCO

from spinemm.anatomy import LEVELS
from spinemm.utils import MANIFEST
from spinemm.formats import LEVEL_TO_VERSE, VERSE_LEVELS, index_verse
from spinemm.formats.verse_export import verse_to_coco, verse_to_seg
from spinemm.formats.verse_slices import take_slice
from spinemm.formats.verse_volumes import (VerseH5Cache, hu_window,
                                           load_verse_case)
from spinemm.phantoms import write_verse_phantoms


@pytest.fixture(scope='module')
def verse_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('verse'))
    write_verse_phantoms(root, release=2020, num_cases=2, seed=5,
                         num_vertebrae=(3, 4), progress=False)
    return root


@pytest.fixture(scope='module')
def case(verse_root):
    return index_verse(verse_root)[0]


@pytest.fixture(scope='module')
def arrays(case):
    return load_verse_case(case)


def test_served_grid_is_the_lateral_display(arrays):
    ct, mask = arrays['ct'], arrays['mask']
    assert ct.spacing == pytest.approx((1, 1, 1))
    assert mask.data.shape == ct.data.shape
    # rows run to the feet, columns to the back, slices to the right (RAS+)
    assert ct.affine[2, 0] < 0 and ct.affine[1, 1] < 0 and ct.affine[0, 2] > 0
    # superior vertebrae (lower VerSe labels) sit in lower rows
    rows = [arrays['centroids'][k][0] for k in sorted(arrays['centroids'])]
    assert rows == sorted(rows)
    # every centroid lies inside its own vertebra on the served grid
    for label, p in arrays['centroids'].items():
        i, j, k = np.round(p).astype(int)
        assert mask.data[i, j, k] == label


def test_h5_cache_round_trips_and_is_compressed(tmp_path, case, arrays):
    cache = VerseH5Cache(str(tmp_path), spacing=1.0, chunk=32)
    path = cache.build(case)
    mtime = os.stat(path).st_mtime_ns
    assert cache.build(case) == path and os.stat(path).st_mtime_ns == mtime
    opened = cache.open(case)
    try:
        np.testing.assert_array_equal(opened['ct'][...], arrays['ct'].data)
        np.testing.assert_array_equal(opened['mask'][...],
                                      arrays['mask'].data)
        np.testing.assert_allclose(opened['affine'], arrays['ct'].affine)
        assert opened['ct'].chunks == (32, 32, 32)
        assert '32015' in opened['ct']._filters  # the Zstd HDF5 filter id
        for k, p in arrays['centroids'].items():
            np.testing.assert_allclose(opened['centroids'][k], p)
    finally:
        opened['file'].close()
    assert not [f for f in os.listdir(osp.dirname(path))
                if f.startswith('.') and f != MANIFEST]  # no temporaries


def test_det_slices_through_the_mmdet_pipeline(verse_root, tmp_path, arrays,
                                               case):
    from mmdet.datasets.transforms import LoadAnnotations, PackDetInputs

    from spinemm.det.datasets import VerseSliceDetDataset
    ds = VerseSliceDetDataset(
        data_root=verse_root, cache_dir=str(tmp_path), min_pixels=200,
        metainfo=dict(classes=tuple(LEVELS)),
        pipeline=[dict(type='spinemm.LoadVerseSliceInstances'),
                  dict(type='mmdet.LoadAnnotations', with_mask=True),
                  dict(type='mmdet.PackDetInputs')])
    # the number of slices equals an independent count over both cases
    expected = 0
    for c in index_verse(verse_root):
        m = load_verse_case(c)['mask'].data
        expected += int((((m > 0).sum(axis=(0, 1))) >= 200).sum())
    assert len(ds) == expected
    i = next(i for i in range(len(ds))
             if ds.get_data_info(i)['case']['stem'] == case['stem'])
    info = ds.get_data_info(i)
    assert 'img' not in info and 'instances' not in info  # metadata only
    k = info['slice_index']
    labels = take_slice(arrays['mask'].data, k, 'sagittal')
    info = ds.pipeline.transforms[0](dict(info))  # the loading transform
    results = LoadAnnotations(with_mask=True)(dict(info))
    for mask, lab, box in zip(results['gt_masks'].masks,
                              results['gt_bboxes_labels'],
                              results['gt_bboxes'].tensor.numpy()):
        want = labels == LEVEL_TO_VERSE[LEVELS[lab]]
        np.testing.assert_array_equal(mask.astype(bool), want)
        rows, cols = np.nonzero(mask)
        np.testing.assert_allclose(
            box, [cols.min(), rows.min(), cols.max() + 1, rows.max() + 1])
    packed = PackDetInputs()(results)
    assert packed['inputs'].shape[0] == 3
    assert packed['data_samples'].gt_instances.masks.masks.shape[0] == \
        len(info['instances']) > 0
    np.testing.assert_array_equal(
        info['img'][..., 0],
        hu_window(take_slice(arrays['ct'].data, k, 'sagittal')))


def test_seg_slices_binary_levels_and_2_5d(verse_root, tmp_path, arrays,
                                           case):
    from spinemm.seg.datasets import VerseSliceSegDataset
    load = [dict(type='spinemm.LoadVerseSlice')]
    binary = VerseSliceSegDataset(data_root=verse_root, pipeline=load,
                                  cache_dir=str(tmp_path), splits=None)
    levels = VerseSliceSegDataset(data_root=verse_root, mode='levels',
                                  context=1, cache_dir=str(tmp_path),
                                  pipeline=load)
    assert len(binary) == len(levels)
    assert binary.metainfo['classes'] == ('background', 'vertebra')
    i = next(i for i in range(len(binary))
             if binary.get_data_info(i)['case']['stem'] == case['stem'])
    assert 'img' not in binary.get_data_info(i)  # metadata only
    b, lv = binary[i], levels[i]  # through the loading transform
    k = b['slice_index']
    labels = take_slice(arrays['mask'].data, k, 'sagittal')
    np.testing.assert_array_equal(b['gt_seg_map'], labels > 0)
    names = levels.metainfo['classes']
    for v in np.unique(labels[labels > 0]):
        assert set(np.unique(lv['gt_seg_map'][labels == v])) == \
            {names.index(VERSE_LEVELS[int(v)])}
    assert b['img'].ndim == 2 and lv['img'].shape == b['img'].shape + (3, )
    np.testing.assert_array_equal(lv['img'][..., 1], b['img'])
    np.testing.assert_array_equal(
        lv['img'][..., 0],
        hu_window(take_slice(arrays['ct'].data, max(k - 1, 0), 'sagittal')))
    assert lv['seg_fields'] == ['gt_seg_map']
    # a pipeline without the loader would have no pixels: refused by name
    with pytest.raises(ValueError, match='spinemm.LoadVerseSlice'):
        VerseSliceSegDataset(data_root=verse_root, pipeline=[
            dict(type='mmseg.PackSegInputs')])


def test_verse2coco_masks_decode_to_the_label_slices(verse_root, tmp_path,
                                                     arrays, case):
    out = str(tmp_path / 'coco')
    info = verse_to_coco(verse_root, out, per_level=True, progress=False)
    ann = osp.join(out, 'annotations', 'dataset-01training.json')
    coco = COCO(ann)
    assert len(coco.getImgIds()) == info['images'] > 0
    names = [c['name'] for c in coco.loadCats(coco.getCatIds())]
    assert names == list(LEVELS)
    img = next(i for i in coco.loadImgs(coco.getImgIds())
               if i['verse_case'] == case['stem'])
    labels = take_slice(arrays['mask'].data, img['slice_index'], 'sagittal')
    for a in coco.loadAnns(coco.getAnnIds(imgIds=[img['id']])):
        want = labels == a['verse_label']
        np.testing.assert_array_equal(coco.annToMask(a).astype(bool), want)
        assert names[a['category_id'] - 1] == VERSE_LEVELS[a['verse_label']]
    # idempotent: the same export again leaves the files alone
    mtime = os.stat(ann).st_mtime_ns
    verse_to_coco(verse_root, out, per_level=True, progress=False)
    assert os.stat(ann).st_mtime_ns == mtime


def test_verse2seg_writes_mmseg_pairs(verse_root, tmp_path):
    import cv2
    out = str(tmp_path / 'seg')
    info = verse_to_seg(verse_root, out, context=1, progress=False)
    imgs = sorted(os.listdir(osp.join(out, 'img_dir', 'dataset-01training')))
    anns = sorted(os.listdir(osp.join(out, 'ann_dir', 'dataset-01training')))
    assert imgs == anns and len(imgs) == info['pairs']
    img = cv2.imread(osp.join(out, 'img_dir', 'dataset-01training', imgs[0]),
                     cv2.IMREAD_UNCHANGED)
    lab = cv2.imread(osp.join(out, 'ann_dir', 'dataset-01training', anns[0]),
                     cv2.IMREAD_UNCHANGED)
    assert img.shape == lab.shape + (3, ) and set(np.unique(lab)) == {0, 1}
    with open(osp.join(out, 'export_info.json')) as f:
        assert json.load(f)['classes'] == ['background', 'vertebra']
    # issue 25 case 12: a damaged export_info.json ended in a bare
    # JSONDecodeError; now it is named and the export is done again
    with open(osp.join(out, 'export_info.json'), 'w') as f:
        f.write('{"options": ')
    with pytest.warns(UserWarning, match='export_info.json is not valid '
                      'JSON'):
        with pytest.raises(Exception, match='pass --overwrite'):
            verse_to_seg(verse_root, out, context=1, progress=False)
    with pytest.warns(UserWarning, match='export_info.json'):
        again = verse_to_seg(verse_root, out, context=1, progress=False,
                             overwrite=True)
    assert again['pairs'] == info['pairs']


def test_tools_run_and_bad_root_is_named(tmp_path, verse_root):
    from conftest import run_tool
    proc = run_tool(['python', 'tools/dataset_converters/verse2seg.py',
                     verse_root, str(tmp_path / 'o'), '--step', '5'])
    assert proc.returncode == 0, proc.stderr
    assert 'pairs' in proc.stdout
    proc = run_tool(['python', 'tools/dataset_converters/verse2coco.py',
                     str(tmp_path / 'nothing'), str(tmp_path / 'o2')])
    assert proc.returncode != 0 and 'nothing' in proc.stderr


@pytest.mark.parametrize('name,scope', [('verse_sagittal_det', 'mmdet'),
                                        ('verse_sagittal_seg', 'mmseg')])
def test_dataset_base_configs_build_on_phantoms(name, scope, verse_root,
                                                tmp_path):
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    from conftest import ROOT
    from spinemm.registry import DATASETS
    cfg = Config.fromfile(osp.join(ROOT, 'configs', '_base_', 'datasets',
                                   name + '.py'))
    with DefaultScope.overwrite_default_scope(scope):
        for loader in (cfg.train_dataloader, cfg.val_dataloader):
            ds_cfg = dict(loader.dataset, data_root=verse_root,
                          cache_dir=str(tmp_path), splits=None)
            item = DATASETS.build(ds_cfg)[0]
            assert item['inputs'].shape[0] == 3
            h, w = item['inputs'].shape[-2:]
            sample = item['data_samples']
            if scope == 'mmseg':
                seg = sample.gt_sem_seg.data
                assert tuple(seg.shape[-2:]) == (h, w)
                assert (seg > 0).any()  # a slab through the column
            else:
                b = sample.gt_instances.bboxes.tensor if hasattr(
                    sample.gt_instances.bboxes, 'tensor') else \
                    sample.gt_instances.bboxes
                assert len(b) > 0
                assert (b[:, 0] >= 0).all() and (b[:, 2] <= w).all()
                assert (b[:, 1] >= 0).all() and (b[:, 3] <= h).all()
                assert (b[:, 2] > b[:, 0]).all() and (b[:, 3] > b[:, 1]).all()


def test_options_that_cannot_be_honoured_are_refused(verse_root):
    """A user's metainfo.classes (the classes follow from ``mode``) and
    mmdet's filter_cfg (slices are chosen by ``min_pixels``) would be
    dropped without a word: both are refused, naming the option."""
    from mmengine.registry import DefaultScope

    from spinemm.registry import DATASETS
    with DefaultScope.overwrite_default_scope('mmseg'):
        with pytest.raises(ValueError, match="metainfo.classes"):
            DATASETS.build(dict(
                type='spinemm.VerseSliceSegDataset', data_root=verse_root,
                mode='binary', metainfo=dict(classes=('bg', 'L1', 'L2'))))
    with DefaultScope.overwrite_default_scope('mmdet'):
        with pytest.raises(ValueError, match='filter_cfg'):
            DATASETS.build(dict(
                type='spinemm.VerseSliceDetDataset', data_root=verse_root,
                filter_cfg=dict(filter_empty_gt=True),
                pipeline=[dict(type='spinemm.LoadVerseSliceInstances')]))
        with pytest.raises(ValueError,
                           match='spinemm.LoadVerseSliceInstances'):
            DATASETS.build(dict(
                type='spinemm.VerseSliceDetDataset', data_root=verse_root,
                pipeline=[dict(type='mmdet.LoadAnnotations')]))


def test_volume_metric_scores_each_case_when_its_last_slice_arrives(
        verse_root, tmp_path):
    """The true class slices as predictions, one level dropped from the
    first case: every vertebra scores Dice 1 but the dropped one (0), a case
    is scored (and its slices let go) as soon as its last slice arrives,
    and the stacked-slices path of a distributed run gives the same."""
    import torch

    from spinemm.formats.verse_slices import (level_classes, num_slices,
                                              seg_classes)
    from spinemm.seg.volume_metric import VerseVolumeMetric, parse_slice_path
    classes = seg_classes('levels')
    cases = [c for c in index_verse(verse_root) if c['mask']]
    dropped = None
    batches = []
    for i, c in enumerate(cases):
        mask = load_verse_case(c)['mask'].data
        if i == 0:
            dropped = int(max(np.unique(mask)))
        n = num_slices(mask.shape, 'sagittal')
        samples = []
        for k in range(n):
            cls = level_classes(take_slice(mask, k, 'sagittal'), classes)
            if i == 0:
                cls[take_slice(mask, k, 'sagittal') == dropped] = 0
            samples.append(dict(img_path=f'{c["ct"]}#sagittal{k}',
                                pred_sem_seg=dict(data=torch.from_numpy(
                                    cls[None].copy()))))
        batches.append(samples)
    metric = VerseVolumeMetric(verse_root, with_hd=False)
    metric.dataset_meta = dict(classes=classes)
    metric.process(None, batches[0])
    assert len(metric.results) == 1 and not metric._open
    metric.process(None, batches[1][:5])
    assert len(metric.results) == 1 and len(metric._open) == 1
    metric.process(None, batches[1][5:])
    assert len(metric.results) == 2 and not metric._open
    rows = [r for _, r in metric.results]
    per_vertebra = {(i, v): m['dice'] for i, r in enumerate(rows)
                    for v, m in r['per_vertebra'].items()}
    assert per_vertebra.pop((0, dropped)) == 0.0
    assert set(per_vertebra.values()) == {1.0}
    n_vert = len(per_vertebra) + 1
    out = metric.evaluate(len(batches[0]) + len(batches[1]))
    assert out['verse/vertebra_dice'] == pytest.approx((n_vert - 1) / n_vert)
    assert out['verse/num_vertebrae'] == n_vert
    # what rank 0 gets in a distributed run: the slices themselves
    slices = [('slice', ) + parse_slice_path(s['img_path']) +
              (s['pred_sem_seg']['data'][0].numpy(), )
              for b in batches for s in b]
    again = metric.compute_metrics(slices)
    np.testing.assert_equal(again, {k.split('/')[1]: v
                                    for k, v in out.items()})
