import os
import pickle
from collections import OrderedDict

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner.checkpoint import CheckpointLoader, _load_checkpoint

from spinemm.compat import UnsafeCheckpointError, safe_torch_load


def _mmengine_like_checkpoint():
    hub = MessageHub('compat-test')
    for i in range(3):
        hub.update_scalar('train/loss', 1.0 / (i + 1))
    hub.update_info('dataset_meta', dict(classes=('vertebra', ),
                                         palette=[(220, 20, 60)]))
    hub.update_info('seed', np.int64(3))
    return dict(
        meta=dict(epoch=2, iter=20, seed=np.int64(7),
                  lr=np.float32(0.01), arr=np.arange(3)),
        state_dict={'w': torch.ones(2)},
        message_hub=hub.state_dict(),
        param_schedulers=[dict(milestones=__import__('collections').Counter(
            {8: 1, 11: 1}))])


def test_mmengine_checkpoint_loads_with_weights_only(tmp_path):
    path = str(tmp_path / 'ok.pth')
    torch.save(_mmengine_like_checkpoint(), path)
    # plain torch.load (weights_only=True on torch >= 2.6) refuses it ...
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path)
    # ... spinemm's loader, used by mmengine for local files, accepts it
    ckpt = _load_checkpoint(path, map_location='cpu')
    assert ckpt['meta']['iter'] == 20
    buf = ckpt['message_hub']['log_scalars']['train/loss']
    assert isinstance(buf, HistoryBuffer)
    assert buf.mean() == pytest.approx((1 + 1 / 2 + 1 / 3) / 3)
    assert buf.statistics('max') == 1.0
    assert ckpt['meta']['arr'].tolist() == [0, 1, 2]
    assert CheckpointLoader._get_checkpoint_loader(path).__module__ == \
        'spinemm.compat'


class _Evil:

    def __reduce__(self):
        return (os.system, ('echo pwned > /dev/null', ))


def test_checkpoint_with_foreign_global_is_refused(tmp_path):
    path = str(tmp_path / 'evil.pth')
    torch.save({'state_dict': {}, 'payload': _Evil()}, path)
    with pytest.raises(UnsafeCheckpointError) as e:
        _load_checkpoint(path, map_location='cpu')
    msg = str(e.value)
    assert path in msg and ('posix.system' in msg or 'os.system' in msg)


class _GetattrAbuse:
    """getattr on a class torch allows (OrderedDict): HistoryBuffer's path,
    misused to reach another callable."""

    def __reduce__(self):
        return (getattr, (OrderedDict, 'fromkeys'))


def test_getattr_is_restricted_to_history_buffer(tmp_path):
    path = str(tmp_path / 'getattr.pth')
    torch.save({'x': _GetattrAbuse()}, path)
    with pytest.raises(UnsafeCheckpointError) as e:
        safe_torch_load(path)
    assert path in str(e.value)
    path2 = str(tmp_path / 'getattr_hb.pth')

    class _PrivateAttr:

        def __reduce__(self):
            return (getattr, (HistoryBuffer, '__init__'))

    torch.save({'x': _PrivateAttr()}, path2)
    with pytest.raises(UnsafeCheckpointError):
        safe_torch_load(path2)


def test_missing_checkpoint_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        _load_checkpoint(str(tmp_path / 'nope.pth'))


@pytest.mark.parametrize('first', ['spinemm', 'mmengine'])
def test_fixes_apply_whichever_is_imported_first_and_numpy_parts_skip_torch(
        first):
    """``import spinemm`` leaves torch and mmengine alone (the morphometry,
    the readers and the AASCE metrics are plain numpy); the checkpoint fix
    is in place as soon as mmengine is imported, before or after spinemm."""
    import subprocess
    import sys
    code = f'''
import sys
import {first}
import spinemm.morphometry, spinemm.morphometry.column, spinemm.formats.aasce
import spinemm.evaluation.aasce_metrics
print('torch' in sys.modules, 'mmengine' in sys.modules)
from mmengine.runner.checkpoint import CheckpointLoader
print(CheckpointLoader._schemes[''].__module__)
'''
    out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.split()
    if first == 'spinemm':
        assert lines[:2] == ['False', 'False']
    assert lines[-1] == 'spinemm.compat'


def test_a_det_run_imports_neither_mmpose_nor_mmseg():
    """spinemm's registries import the sub-packages of the library in use
    (the default scope); a type of another library's part is still found
    (the rest is imported then)."""
    import subprocess
    import sys
    code = '''
import sys
from mmengine.registry import DefaultScope
import spinemm
from mmdet.registry import MODELS
with DefaultScope.overwrite_default_scope('mmdet'):
    a = MODELS.get('spinemm.VertebraKeypointHead')
    print(a.__name__, 'mmpose' in sys.modules, 'mmseg' in sys.modules)
    b = MODELS.get('spinemm.PyramidSegmentor')
    print(b.__name__, 'mmseg' in sys.modules)
'''
    out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ['VertebraKeypointHead', 'False', 'False',
                                  'PyramidSegmentor', 'True']
