"""Checkpoints: crash-safe saving and safe loading from anywhere (issue 11,
items 2 and 7)."""
import functools
import http.server
import os
import os.path as osp
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import _load_checkpoint

from conftest import ROOT
from spinemm.compat import (CheckpointReadError, UnsafeCheckpointError,
                            safe_torch_load)

# A tiny mmengine run: 6 iterations, a checkpoint every iteration, only the
# last kept (max_keep_ckpts=1, as five shipped configs do). With SLOW_AT=N
# the save of iteration N writes half its bytes, then waits to be killed.
# UNPATCHED=1 undoes spinemm's fix (the test shows what it prevents).
TRAIN_SCRIPT = r'''
import io, os, sys, time
import torch
import spinemm  # noqa: F401  (applies spinemm.compat)
from mmengine.model import BaseModel
from mmengine.runner import Runner

work, slow_at = sys.argv[1], int(os.environ.get('SLOW_AT', '0'))
if os.environ.get('UNPATCHED'):
    import mmengine.runner as rp, mmengine.runner.checkpoint as ck
    import mmengine.runner.runner as rr
    from mmengine.hooks import CheckpointHook
    original = ck.save_checkpoint.__wrapped__
    for m in (rp, ck, rr):
        m.save_checkpoint = original
    for n in ('_save_checkpoint_with_step', '_save_best_checkpoint'):
        setattr(CheckpointHook, n, getattr(CheckpointHook, n).__wrapped__)

real_save = torch.save
def slow_save(obj, f, *a, **k):
    it = obj.get('meta', {}).get('iter') if isinstance(obj, dict) else None
    if it != slow_at:
        return real_save(obj, f, *a, **k)
    buf = io.BytesIO()
    real_save(obj, buf, *a, **k)
    data = buf.getvalue()
    f.write(data[:len(data) // 2])
    f.flush()
    open(os.path.join(work, 'SAVING'), 'w').close()
    time.sleep(300)
torch.save = slow_save

class Toy(BaseModel):
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Linear(4, 1)
    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.w(torch.stack(inputs) if isinstance(inputs, list)
                     else inputs)
        return dict(loss=(out ** 2).mean()) if mode == 'loss' else out

class Data(torch.utils.data.Dataset):
    def __len__(self):
        return 64
    def __getitem__(self, i):
        return dict(inputs=torch.full((4, ), i / 64.0))

runner = Runner(
    model=Toy(), work_dir=work,
    train_dataloader=dict(dataset=Data(), batch_size=4, num_workers=0,
                          sampler=dict(type='DefaultSampler', shuffle=False),
                          collate_fn=dict(type='default_collate')),
    optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
    train_cfg=dict(by_epoch=False, max_iters=6),
    default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1,
                                       by_epoch=False, max_keep_ckpts=1),
                       logger=dict(type='LoggerHook', interval=1)),
    resume=bool(os.environ.get('RESUME')), default_scope='mmengine')
runner.train()
print('FINISHED at', runner.iter)
'''


def _start(work, **env):
    script = osp.join(work, 'train_toy.py')
    with open(script, 'w') as f:
        f.write(TRAIN_SCRIPT)
    return subprocess.Popen([sys.executable, script, work], cwd=ROOT,
                            env=dict(os.environ, **env),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def _kill_during_save(work, **env):
    proc = _start(work, SLOW_AT='3', **env)
    flag = osp.join(work, 'SAVING')
    deadline = time.time() + 240
    while not osp.exists(flag):
        assert proc.poll() is None, proc.stdout.read()[-3000:]
        assert time.time() < deadline, 'the save of iteration 3 never began'
        time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL


def _loadable(path):
    try:
        return safe_torch_load(path)['meta']['iter']
    except Exception:
        return None


def test_kill_during_a_checkpoint_save_leaves_one_to_resume(tmp_path):
    work = str(tmp_path / 'work')
    os.makedirs(work)
    _kill_during_save(work)
    pths = sorted(n for n in os.listdir(work) if n.endswith('.pth'))
    # the previous checkpoint is whole, last_checkpoint points to it, and
    # the half-written file never took the real name
    assert 'iter_2.pth' in pths and 'iter_3.pth' not in pths, pths
    assert _loadable(osp.join(work, 'iter_2.pth')) == 2
    with open(osp.join(work, 'last_checkpoint')) as f:
        assert osp.basename(f.read().strip()) == 'iter_2.pth'
    temps = [n for n in os.listdir(work) if '.spinemm-tmp-' in n]
    assert len(temps) == 1  # the killed save's temporary
    # resuming continues from iteration 2 and sweeps the temporary
    proc = _start(work, RESUME='1')
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, out[-3000:]
    assert 'FINISHED at 6' in out and 'resumed' in out.lower()
    assert not [n for n in os.listdir(work) if '.spinemm-tmp-' in n]
    assert sorted(n for n in os.listdir(work) if n.endswith('.pth')) == \
        ['iter_6.pth']
    assert _loadable(osp.join(work, 'iter_6.pth')) == 6


def test_without_the_fix_the_same_kill_loses_every_checkpoint(tmp_path):
    """The control: mmengine's own hook removes iter_2.pth before iter_3.pth
    is complete, so nothing loadable is left. If this starts passing with a
    loadable checkpoint, mmengine fixed it upstream and the compat fix can
    go."""
    work = str(tmp_path / 'work')
    os.makedirs(work)
    _kill_during_save(work, UNPATCHED='1')
    loadable = [n for n in os.listdir(work) if n.endswith('.pth')
                and _loadable(osp.join(work, n)) is not None]
    assert loadable == []


class _Evil:

    def __reduce__(self):
        return (os.system, ('echo pwned > /dev/null', ))


@pytest.fixture()
def http_root(tmp_path):
    """A local HTTP server on 127.0.0.1 serving ``tmp_path/served``; the
    torch hub cache goes to ``tmp_path/hub`` for the test."""
    served = tmp_path / 'served'
    served.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler,
                                directory=str(served))
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    old_hub = torch.hub.get_dir()
    torch.hub.set_dir(str(tmp_path / 'hub'))
    try:
        yield served, f'http://127.0.0.1:{server.server_address[1]}/'
    finally:
        torch.hub.set_dir(old_hub)
        server.shutdown()
        server.server_close()


def test_a_malicious_checkpoint_over_http_is_refused(http_root):
    served, url = http_root
    torch.save({'state_dict': {}, 'payload': _Evil()}, served / 'evil.pth')
    torch.save({'state_dict': {'w': torch.ones(2)}}, served / 'good.pth')
    with pytest.raises(UnsafeCheckpointError) as e:
        _load_checkpoint(url + 'evil.pth', map_location='cpu')
    assert 'system' in str(e.value) and url + 'evil.pth' in str(e.value)
    good = _load_checkpoint(url + 'good.pth', map_location='cpu')
    assert good['state_dict']['w'].tolist() == [1.0, 1.0]


def test_two_urls_of_one_file_name_never_share_a_cache_entry(http_root):
    """Issue 25 case 5: http://host/a/model.pth then http://host/b/model.pth
    gave run b the weights of run a from the download cache."""
    served, url = http_root
    for sub, value in (('a', 1.0), ('b', 2.0)):
        (served / sub).mkdir()
        torch.save({'state_dict': {'w': torch.full((2, ), value)}},
                   served / sub / 'model.pth')
    got_a = _load_checkpoint(url + 'a/model.pth', map_location='cpu')
    got_b = _load_checkpoint(url + 'b/model.pth', map_location='cpu')
    assert got_a['state_dict']['w'].tolist() == [1.0, 1.0]
    assert got_b['state_dict']['w'].tolist() == [2.0, 2.0]
    cached = [n for n in os.listdir(os.path.join(
        torch.hub.get_dir(), 'checkpoints')) if not n.startswith('.')]
    assert len(cached) == 2 and all(n.startswith('model-url') for n in cached)


def test_load_from_in_a_runner_goes_through_the_allow_list(http_root):
    from mmengine.runner import load_checkpoint
    served, url = http_root
    torch.save({'state_dict': {'weight': torch.ones(1, 2)},
                'payload': _Evil()}, served / 'model.pth')
    with pytest.raises(UnsafeCheckpointError):
        load_checkpoint(torch.nn.Linear(2, 1), url + 'model.pth')


@pytest.mark.parametrize('scheme,table', [
    ('torchvision://', 'get_torchvision_models'),
    ('open-mmlab://', 'get_external_models'),
])
def test_model_zoo_schemes_go_through_the_allow_list(http_root, monkeypatch,
                                                     scheme, table):
    import mmengine.runner.checkpoint as ckpt
    served, url = http_root
    torch.save({'payload': _Evil()}, served / 'zoo.pth')
    monkeypatch.setattr(ckpt, table, lambda: {'zoo': url + 'zoo.pth'})
    with pytest.raises(UnsafeCheckpointError):
        _load_checkpoint(scheme + 'zoo', map_location='cpu')


def test_unchecked_storages_are_refused():
    with pytest.raises(UnsafeCheckpointError, match='Download the file'):
        _load_checkpoint('s3://bucket/model.pth')


def test_an_empty_history_buffer_is_allowed(tmp_path):
    """An empty HistoryBuffer pickles its empty buffer as builtins.bytes;
    before, such a benign checkpoint was refused."""
    path = str(tmp_path / 'e.pth')
    torch.save(dict(meta=dict(iter=1), buf=HistoryBuffer(),
                    arr=np.zeros(0)), path)
    ckpt = _load_checkpoint(path, map_location='cpu')
    assert isinstance(ckpt['buf'], HistoryBuffer)
    assert len(ckpt['buf']._log_history) == 0


def test_unreadable_checkpoints_say_what_is_wrong(tmp_path):
    good = tmp_path / 'good.pth'
    torch.save({'state_dict': {'w': torch.ones(1000)}}, good)
    cases = {
        'empty.pth': (b'', 'empty'),
        'notes.pth': (b'this is a text file\n', 'not a torch checkpoint'),
        'cut.pth': (good.read_bytes()[:len(good.read_bytes()) // 2],
                    'truncated'),
    }
    for name, (data, why) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(CheckpointReadError) as e:
            _load_checkpoint(str(path), map_location='cpu')
        assert str(path) in str(e.value) and why in str(e.value), e.value
        assert not isinstance(e.value, UnsafeCheckpointError)
