"""The stock tools, run as a user runs them (subprocesses)."""
import glob
import os
import os.path as osp
import re
import sys

import numpy as np
import pytest
import torch

from conftest import QUICKSTART, run_tool


@pytest.fixture(scope='module')
def tiny_config(phantom_root, tmp_path_factory):
    """The quickstart config, shrunk to 2 iterations on the tiny phantom set."""
    root = phantom_root.rstrip('/') + '/'
    path = tmp_path_factory.mktemp('cfg') / 'tiny_quickstart.py'
    path.write_text(f'''
_base_ = {QUICKSTART!r}
_loader = dict(num_workers=0, persistent_workers=False, batch_size=2,
               dataset=dict(data_root={root!r}))
train_dataloader = _loader
val_dataloader = _loader
test_dataloader = _loader
val_evaluator = dict(ann_file={root + 'annotations/val.json'!r})
test_evaluator = val_evaluator
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=2,
                 val_interval=1000)
param_scheduler = [dict(type='LinearLR', start_factor=0.1, by_epoch=False,
                        begin=0, end=10)]
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(interval=1, by_epoch=False,
                                     max_keep_ckpts=-1))
log_processor = dict(by_epoch=False)
''')
    return str(path)


def _ok(proc):
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    return proc.stdout + proc.stderr


@pytest.fixture(scope='module')
def trained(tiny_config, tmp_path_factory):
    work = str(tmp_path_factory.mktemp('work'))
    out = _ok(run_tool([sys.executable, 'tools/train.py', tiny_config,
                        '--work-dir', work]))
    return work, out


def test_train_writes_checkpoints(trained):
    work, out = trained
    assert osp.isfile(osp.join(work, 'iter_2.pth'))
    assert 'Iter(train) [2/2]' in out


def test_resume_continues_from_iteration_2(trained, tiny_config):
    work, _ = trained
    out = _ok(run_tool([sys.executable, 'tools/train.py', tiny_config,
                        '--work-dir', work, '--resume',
                        '--cfg-options', 'train_cfg.max_iters=3']))
    assert 'resumed' in out.lower()
    assert 'Iter(train) [3/3]' in out
    assert 'Iter(train) [1/3]' not in out, 'training restarted from scratch'
    # the new checkpoint carries on the count and the scheduler's state
    ckpt = torch.load(osp.join(work, 'iter_3.pth'), weights_only=False)
    assert ckpt['meta']['iter'] == 3
    assert ckpt['param_schedulers'][0]['last_step'] == 3


def test_resume_refuses_an_unsafe_checkpoint(trained, tiny_config, tmp_path):
    work, _ = trained
    ckpt = torch.load(osp.join(work, 'iter_2.pth'), weights_only=False)
    ckpt['meta']['hook'] = eval  # a pickled global outside the allow-list
    bad = str(tmp_path / 'bad.pth')
    torch.save(ckpt, bad)
    proc = run_tool([sys.executable, 'tools/train.py', tiny_config,
                     '--work-dir', str(tmp_path / 'w'), '--resume', bad])
    assert proc.returncode != 0
    assert 'builtins.eval' in proc.stderr or 'eval' in proc.stderr
    assert bad in proc.stderr


def test_test_tool_prints_metrics_and_draws(trained, tiny_config, tmp_path):
    work, _ = trained
    out = _ok(run_tool([sys.executable, 'tools/test.py', tiny_config,
                        osp.join(work, 'iter_2.pth'), '--work-dir',
                        str(tmp_path), '--show-dir', 'overlays', '--out',
                        str(tmp_path / 'preds.pkl')]))
    for key in ('coco/bbox_mAP', 'coco/bbox_mAP_50', 'coco/segm_mAP'):
        assert re.search(key + r': -?\d', out), key
    pngs = glob.glob(str(tmp_path / '*' / 'overlays' / '*.png'))
    assert len(pngs) == 2
    assert osp.getsize(tmp_path / 'preds.pkl') > 0
    # the demo's summary reads the same figures back from the run folder
    bbox50 = re.search(r'coco/bbox_mAP_50: (-?[\d.]+)', out).group(1)
    summary = _ok(run_tool([sys.executable, 'tools/misc/summarize_test.py',
                            str(tmp_path)]))
    assert f'mAP_50={float(bbox50):.3f}' in summary
    assert '2 overlay pictures' in summary


def test_dist_train_runs_two_processes_on_cpu(tiny_config, tmp_path):
    out = _ok(run_tool(['bash', 'tools/dist_train.sh', tiny_config, '2',
                        '--work-dir', str(tmp_path)],
                       env=dict(PORT='29531')))
    # mmengine's runtime summary: 'Distributed training: True', 'GPU number: 2'
    assert 'Distributed training: True' in out, out[-3000:]
    assert re.search(r'GPU number: 2', out), out[-3000:]
    assert osp.isfile(tmp_path / 'iter_2.pth')


def test_dist_test_on_two_processes_gives_the_single_process_metrics(
        trained, tiny_config, tmp_path):
    """The two val images split over two gloo ranks, results collected:
    the same COCO figures as one process."""
    work, _ = trained
    ckpt = osp.join(work, 'iter_2.pth')
    one = _ok(run_tool([sys.executable, 'tools/test.py', tiny_config, ckpt,
                        '--work-dir', str(tmp_path / 'one'),
                        '--out', str(tmp_path / 'one.pkl')]))
    two = _ok(run_tool(['bash', 'tools/dist_test.sh', tiny_config, ckpt, '2',
                        '--work-dir', str(tmp_path / 'two'),
                        '--out', str(tmp_path / 'two.pkl')],
                       env=dict(PORT='29533')))
    assert 'Distributed training: True' in two, two[-3000:]
    # every image once, with the same predictions, whichever rank ran it
    import pickle
    res = {}
    for name in ('one', 'two'):
        with open(tmp_path / f'{name}.pkl', 'rb') as f:
            res[name] = {r['img_id']: r['pred_instances']['bboxes'].numpy()
                         for r in pickle.load(f)}
    assert sorted(res['one']) == sorted(res['two']) and len(res['one']) == 2
    for img_id, boxes in res['one'].items():
        assert boxes.shape == res['two'][img_id].shape
        assert np.allclose(boxes, res['two'][img_id], atol=1e-3)

    def figures(out):
        return dict(re.findall(r'(coco/(?:bbox|segm)_mAP(?:_50)?): '
                               r'(-?[\d.]+)', out))
    assert len(figures(one)) == 4
    assert figures(two) == figures(one)


def test_auto_scale_lr_scales_by_the_total_batch(trained, tiny_config,
                                                  tmp_path):
    """--auto-scale-lr: lr x (2 images / base_batch_size 4); without it the
    config's lr."""
    from mmengine.config import Config
    cfg = Config.fromfile(tiny_config)
    base_lr = cfg.optim_wrapper.optimizer.lr
    assert cfg.auto_scale_lr.base_batch_size == 4
    work, _ = trained
    plain = torch.load(osp.join(work, 'iter_2.pth'), weights_only=False)
    assert plain['optimizer']['param_groups'][0]['initial_lr'] == \
        pytest.approx(base_lr)
    _ok(run_tool([sys.executable, 'tools/train.py', tiny_config,
                  '--work-dir', str(tmp_path), '--auto-scale-lr',
                  '--cfg-options', 'train_cfg.max_iters=1']))
    scaled = torch.load(str(tmp_path / 'iter_1.pth'), weights_only=False)
    assert scaled['optimizer']['param_groups'][0]['initial_lr'] == \
        pytest.approx(base_lr * 2 / 4)


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU-only behaviour')
def test_amp_without_a_gpu_is_refused_in_words(tiny_config, tmp_path):
    proc = run_tool([sys.executable, 'tools/train.py', tiny_config,
                     '--work-dir', str(tmp_path), '--amp'])
    assert proc.returncode != 0
    assert '--amp needs a CUDA GPU' in proc.stderr
    assert 'AssertionError' not in proc.stderr
    assert not glob.glob(str(tmp_path / '*.pth'))


def test_tensorboard_and_wandb_lines_log_the_losses(tiny_config, tmp_path):
    """The runtime's one-line backends: TensorBoard's event file and W&B's
    offline run hold the losses mmengine's local backend wrote."""
    import json
    cfg = tmp_path / 'logged.py'
    cfg.write_text(f"""
_base_ = {tiny_config!r}
visualizer = dict(vis_backends=[_base_.local_backend,
                                _base_.tensorboard_backend,
                                _base_.wandb_backend])
""")
    _ok(run_tool([sys.executable, 'tools/train.py', str(cfg), '--work-dir',
                  str(tmp_path / 'work')],
                 env=dict(WANDB_MODE='offline', WANDB_SILENT='true')))
    run = glob.glob(str(tmp_path / 'work' / '*' / 'vis_data'))[0]
    local = [json.loads(line) for line in open(osp.join(run, 'scalars.json'))]
    loss = {r['step']: r['loss'] for r in local if 'loss' in r}
    assert sorted(loss) == [1, 2]
    from tensorboard.backend.event_processing.event_accumulator import \
        EventAccumulator
    events = EventAccumulator(run)
    events.Reload()
    tb = {e.step: e.value for e in events.Scalars('loss')}
    assert sorted(tb) == [1, 2]
    for step in (1, 2):
        assert tb[step] == pytest.approx(loss[step], rel=1e-5)
    runs = glob.glob(osp.join(run, 'wandb', 'offline-run-*', 'run-*.wandb'))
    assert len(runs) == 1, os.listdir(run)
    logged = {}
    for rec in _wandb_records(runs[0]):
        if rec.WhichOneof('record_type') == 'history':
            items = {i.key or '/'.join(i.nested_key): json.loads(
                i.value_json) for i in rec.history.item}
            if 'loss' in items:
                logged[items['iter']] = items['loss']
    assert logged == pytest.approx(loss, rel=1e-6)


def _wandb_records(path, block=32768):
    """The protobuf records of a W&B run file, read without wandb's service:
    a 7-byte header (':W&B', magic, version), then a LevelDB-style log of
    32 KiB blocks, each record split into chunks with a 7-byte header
    (crc32, length, type: 1 full, 2 first, 3 middle, 4 last)."""
    import struct

    from wandb.proto import wandb_internal_pb2
    raw = open(path, 'rb').read()
    assert raw[:4] == b':W&B', path
    pos, buf = 7, b''
    while pos + 7 <= len(raw):
        left = block - pos % block
        if left < 7:  # block trailer
            pos += left
            continue
        _, length, kind = struct.unpack('<IHB', raw[pos:pos + 7])
        data = raw[pos + 7:pos + 7 + length]
        pos += 7 + length
        if kind == 0:
            continue
        buf = data if kind in (1, 2) else buf + data
        if kind in (1, 4):
            rec = wandb_internal_pb2.Record()
            rec.ParseFromString(buf)
            yield rec


def test_spinemm_scope_base_is_usable_by_other_projects(tmp_path):
    import spinemm  # noqa: F401  (registers the spinemm:: scope)
    from mmengine.config import Config
    cfg_file = tmp_path / 'other_project.py'
    cfg_file.write_text(
        "_base_ = 'spinemm::quickstart/cascade-mask-rcnn_r18_fpn_phantom.py'\n"
        "model = dict(backbone=dict(depth=34))\n")
    cfg = Config.fromfile(str(cfg_file))
    assert cfg.model.backbone.depth == 34
    assert cfg.model.roi_head.bbox_head[0].num_classes == 1
    assert cfg.train_dataloader.dataset.type == 'spinemm.VertebraCocoDataset'
