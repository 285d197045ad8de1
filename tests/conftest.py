import os
import os.path as osp
import subprocess
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
QUICKSTART = osp.join(ROOT, 'configs', 'quickstart',
                      'cascade-mask-rcnn_r18_fpn_phantom.py')


@pytest.fixture(scope='session')
def phantom_root(tmp_path_factory):
    """A small phantom dataset (10 images of 192 px: 8 train, 2 val)."""
    from spinemm.phantoms import write_radiograph_dataset
    root = tmp_path_factory.mktemp('data') / 'phantom2d'
    write_radiograph_dataset(root, num_images=10, seed=3, image_size=192,
                             num_vertebrae=(5, 8), progress=False)
    return str(root)


def run_tool(args, cwd=ROOT, timeout=600, env=None):
    """Run a command with this interpreter; return the completed process."""
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
