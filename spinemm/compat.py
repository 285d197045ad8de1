"""The few documented fixes the pinned OpenMMLab releases need on current torch.

Importing :mod:`spinemm` applies them once (configs import spinemm through
``custom_imports``, so the stock ``tools/train.py`` / ``tools/test.py`` of mmdet,
mmpose and mmseg get them too). Each fix says what it works around and which
upstream release would make it unnecessary; none edits an installed file.

1. Safe checkpoint loading (mmengine 0.10.7, ``runner/checkpoint.py``):
   ``load_from_local`` calls ``torch.load`` without ``weights_only``. Since torch
   2.6 that means ``weights_only=True``, which refuses every mmengine checkpoint
   (they hold ``HistoryBuffer``, numpy arrays and scalars in ``message_hub``), so
   ``--resume`` and ``load_from`` fail (open-mmlab/mmengine issue #1655). The
   fix proposed upstream (PR #1650, open; no release after 0.10.7) passes
   ``weights_only=False``, which runs any pickled code. spinemm keeps
   ``weights_only=True`` and adds, for the duration of the load only, an
   allow-list of the globals OpenMMLab checkpoints hold.
   A checkpoint that needs anything else is refused with
   :class:`UnsafeCheckpointError` naming the global and the file.
   ``HistoryBuffer`` pickles its statistics methods as
   ``getattr(HistoryBuffer, 'mean')``; ``builtins.getattr`` itself is never
   allowed: the allow-list maps that name to :func:`_history_buffer_getattr`,
   which only returns plain functions defined on ``HistoryBuffer``.

2. CPU distributed training (mmengine 0.10.7, ``dist/utils.py`` and
   ``model/wrappers/distributed.py``): the pytorch launcher always calls
   ``torch.cuda.set_device`` and NCCL, and the runner always passes
   ``device_ids=[LOCAL_RANK]`` to DDP. On a machine without a GPU spinemm
   initialises the ``gloo`` backend instead and lets DDP run the CPU module
   (``device_ids=None``), so ``tools/dist_train.sh CONFIG 2`` works on CPU.
   No upstream release handles this.

3. Config bases from packages (mmengine 0.10.7, ``config/utils.py`` and
   ``utils/package_utils.py``): ``pkg::path`` bases work only for a fixed list of
   OpenMMLab scopes (``MODULE2PACKAGE``), and the package folder is found
   through ``pkg_resources``, which is deprecated (removed in setuptools 82),
   slow (reloaded on every lookup) and points editable installs at
   site-packages. spinemm registers its own ``spinemm::`` scope and finds
   package folders with ``importlib``. No mmengine release after 0.10.7
   changes this.

4. Crash-safe checkpoints (mmengine 0.10.7, ``hooks/checkpoint_hook.py``
   ``_save_checkpoint_with_step`` / ``_save_best_checkpoint`` and
   ``runner/checkpoint.py`` ``save_checkpoint`` -> ``LocalBackend.put``): the
   hook removes the outdated checkpoint *before* saving the new one ("remove
   other checkpoints before save checkpoint", the order PR #1168 kept), and
   the new file is written in place, so a kill during the save of a run with
   ``max_keep_ckpts=1`` leaves only a truncated file. spinemm writes local
   checkpoints to ``.<name>.spinemm-tmp-<pid>.<random>.pth`` and renames them
   when complete (temporaries of killed runs are swept at the next save), and
   defers the hook's removals until the new checkpoint and
   ``last_checkpoint`` are written. No mmengine release changes this.

5. Checkpoints from anywhere (mmengine 0.10.7, ``runner/checkpoint.py``):
   ``http(s)://``, ``torchvision://``, ``open-mmlab://`` and ``mmcls://``
   loads go through ``load_url`` / ``torch.load`` without ``weights_only``,
   i.e. a full unpickle of a downloaded file. spinemm downloads them into
   ``<torch hub dir>/checkpoints`` (atomically) and loads them with the same
   allow-list as local files; ``pavi://`` and ``s3://`` loads, which it cannot
   check, are refused with a message saying to download the file first.
"""
import contextlib
import functools
import logging
import os
import os.path as osp
import pickle
import re

import torch

_APPLIED = False

# Globals that mmengine / mmdet / mmpose / mmseg checkpoints contain beyond
# what torch's weights-only unpickler allows by default (tensors, OrderedDict,
# Counter, set, ...). Strings, because numpy moved ``core`` to ``_core`` in 2.0
# and checkpoints written under either name must load.
_ALLOWED_NAMES = (
    'mmengine.logging.history_buffer.HistoryBuffer',
    # an empty HistoryBuffer pickles its empty numpy buffer as bytes
    'builtins.bytes',
    'numpy.core.multiarray._reconstruct',
    'numpy._core.multiarray._reconstruct',
    'numpy.core.multiarray.scalar',
    'numpy._core.multiarray.scalar',
    'numpy.ndarray',
    'numpy.dtype',
)


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint holds a pickled global outside spinemm's allow-list."""


def _history_buffer_getattr(obj, name):
    """``getattr`` restricted to HistoryBuffer's statistics functions."""
    from mmengine.logging import HistoryBuffer
    value = getattr(obj, name, None) if obj is HistoryBuffer else None
    if obj is not HistoryBuffer or name.startswith('_') or not callable(value) \
            or getattr(value, '__qualname__', '') != f'HistoryBuffer.{name}':
        raise UnsafeCheckpointError(
            f'refused getattr({obj!r}, {name!r}): only HistoryBuffer '
            'statistics methods may be looked up by a checkpoint')
    return value


def _resolve(name):
    module, _, attr = name.rpartition('.')
    try:
        mod = __import__(module, fromlist=[attr])
        return getattr(mod, attr)
    except (ImportError, AttributeError):
        return None


@functools.lru_cache(maxsize=1)
def allowed_globals():
    """The (object, pickled name) pairs allowed on top of torch's defaults."""
    import numpy as np
    pairs = [(_history_buffer_getattr, 'builtins.getattr')]
    for name in _ALLOWED_NAMES:
        obj = _resolve(name)
        if obj is not None:
            pairs.append((obj, name))
    # numpy >= 1.25 pickles dtypes with their class, e.g. numpy.dtypes.Float64DType
    for name in dir(getattr(np, 'dtypes', None) or ()):
        cls = getattr(np.dtypes, name)
        if isinstance(cls, type) and issubclass(cls, np.dtype):
            pairs.append((cls, f'numpy.dtypes.{name}'))
    return tuple(pairs)


class CheckpointReadError(ValueError):
    """A checkpoint file that is empty, truncated or not a checkpoint."""


def _whole_pickle(filename):
    """True when the file is one complete pickle stream (its opcodes run to
    STOP), read without unpickling anything."""
    import pickletools
    try:
        with open(filename, 'rb') as f:
            for _ in pickletools.genops(f):
                pass
        return True
    except Exception:  # ValueError at a cut, unknown opcodes, ...
        return False


def _describe_unreadable(filename, error):
    size = osp.getsize(filename) if osp.isfile(filename) else None
    if size == 0:
        why = 'the file is empty (0 bytes): an interrupted save or copy?'
    else:
        with open(filename, 'rb') as f:
            head = f.read(4)
        if head[:1] == b'\x80' and _whole_pickle(filename):
            why = ('it is a plain Python pickle, not a torch checkpoint '
                   '(torch.save writes a zip archive); spinemm does not '
                   'unpickle it, since that could run code from the file: '
                   'load it where you trust it and torch.save its '
                   'state_dict')
        elif head[:2] == b'PK' or head[:1] == b'\x80':
            why = ('it looks like a torch checkpoint but cannot be read to '
                   'the end: truncated (an interrupted download or save?)')
        else:
            why = ('it is not a torch checkpoint (no zip or pickle header; '
                   'a text or HTML file?)')
    return CheckpointReadError(
        f'Cannot load checkpoint {filename} ({size} bytes): {why} '
        f'[{type(error).__name__}: {str(error).splitlines()[0][:200]}]')


def safe_torch_load(filename, map_location=None):
    """``torch.load(weights_only=True)`` with the OpenMMLab allow-list.

    Raises:
        UnsafeCheckpointError: the file holds a global outside the allow-list;
            the message names the global and the file.
        CheckpointReadError: the file is empty, truncated or no checkpoint;
            the message names the file and says which.
    """
    if osp.isfile(filename) and osp.getsize(filename) == 0:
        raise _describe_unreadable(filename, EOFError('empty file'))
    try:
        with torch.serialization.safe_globals(list(allowed_globals())):
            return torch.load(
                filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        msg = str(e)
        found = re.search(r'GLOBAL (\S+)', msg) or re.search(
            r'(refused getattr\([^)]*\))', msg) or re.search(
                r'unrecognized function (\S+)', msg) or re.search(
                    r'Unsupported global: (\S+)', msg)
        if not found:
            raise _describe_unreadable(filename, e) from e
        raise UnsafeCheckpointError(
            f'Refusing to load checkpoint {filename}: it holds the pickled '
            f'global `{found.group(1)}`, which is not on spinemm\'s '
            'allow-list of globals found in OpenMMLab checkpoints '
            '(spinemm/compat.py). Loading it would run code from the file. '
            'If you trust the file, convert it to a plain state_dict '
            'first.') from e
    except FileNotFoundError:
        raise
    except Exception as e:  # EOFError, RuntimeError, IndexError, ... of torch
        raise _describe_unreadable(filename, e) from e


def _load_from_local(filename, map_location):
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    return safe_torch_load(filename, map_location)


def download_checkpoint(url, model_dir=None, progress=False):
    """Download ``url`` once into ``model_dir`` (default ``<torch hub
    dir>/checkpoints``) through a temporary name; return the local path,
    ``<name>-url<sha256 of the URL, 12 hex>.<ext>``."""
    import urllib.request

    from .utils import atomic_file
    import hashlib
    model_dir = model_dir or osp.join(torch.hub.get_dir(), 'checkpoints')
    name = osp.basename(url.split('?')[0]) or 'checkpoint.pth'
    # the cache name carries a hash of the whole URL: two URLs ending in the
    # same file name (.../a/model.pth, .../b/model.pth) never share an entry
    stem, ext = osp.splitext(name)
    digest = hashlib.sha256(url.encode()).hexdigest()[:12]
    path = osp.join(model_dir, f'{stem}-url{digest}{ext}')
    if osp.isfile(path):
        return path
    os.makedirs(model_dir, exist_ok=True)
    try:
        with urllib.request.urlopen(url, timeout=60) as r, \
                atomic_file(path, '.part') as tmp, open(tmp, 'wb') as f:
            while True:
                chunk = r.read(1 << 20)
                if not chunk:
                    break
                f.write(chunk)
    except OSError as e:  # URLError, timeouts, refused connections
        raise OSError(f'cannot download checkpoint {url}: '
                      f'{getattr(e, "reason", e)}') from e
    return path


def _load_from_http(filename, map_location=None, model_dir=None,
                    progress=False):
    """mmengine's ``load_from_http`` with a safe load of the download (rank
    0 downloads first in distributed runs, as mmengine does)."""
    from mmengine.dist import get_dist_info
    rank, world_size = get_dist_info()
    if rank == 0:
        path = download_checkpoint(filename, model_dir, progress)
    if world_size > 1:
        torch.distributed.barrier()
        if rank > 0:
            path = download_checkpoint(filename, model_dir, progress)
    try:
        return safe_torch_load(path, map_location)
    except (UnsafeCheckpointError, CheckpointReadError) as e:
        raise type(e)(f'{e} (downloaded from {filename})') from e


def _load_from_openmmlab(filename, map_location=None):
    """mmengine's ``load_from_openmmlab`` (same name resolution) with the
    safe loaders."""
    from mmengine.runner import checkpoint as ckpt
    prefix = 'open-mmlab://' if filename.startswith('open-mmlab://') \
        else 'openmmlab://'
    name = filename[len(prefix):]
    name = ckpt.get_deprecated_model_names().get(name, name)
    url = ckpt.get_external_models()[name]
    if url.startswith(('http://', 'https://')):
        return _load_from_http(url, map_location)
    return _load_from_local(osp.join(ckpt._get_mmengine_home(), url),
                            map_location)


def _refuse_unchecked(filename, map_location=None, *args, **kwargs):
    raise UnsafeCheckpointError(
        f'Refusing to load checkpoint {filename}: spinemm cannot check '
        'checkpoints from this storage before unpickling them. Download the '
        'file and pass its local path.')


def _patch_checkpoint_loading():
    from mmengine.runner import checkpoint as ckpt
    loader = ckpt.CheckpointLoader
    loader.register_scheme(prefixes='', loader=_load_from_local, force=True)
    loader.register_scheme(prefixes=('http://', 'https://'),
                           loader=_load_from_http, force=True)
    loader.register_scheme(prefixes=('open-mmlab://', 'openmmlab://'),
                           loader=_load_from_openmmlab, force=True)
    loader.register_scheme(prefixes=('pavi://', 's3://', 'petrel://'),
                           loader=_refuse_unchecked, force=True)
    # torchvision://, modelzoo:// and mmcls:// call the module's
    # load_from_http by name
    ckpt.load_from_http = _load_from_http


_TMP_CKPT = re.compile(
    r'^\.(?P<name>.+)\.spinemm-tmp-(?P<pid>\d+)\.[^.]+\.pth$')


def _sweep_checkpoint_temps(folder):
    """Remove checkpoint temporaries whose writing process has died."""
    from .utils.atomic import _pid_alive
    with contextlib.suppress(OSError):
        for name in os.listdir(folder):
            m = _TMP_CKPT.match(name)
            if m and not _pid_alive(int(m.group('pid'))):
                with contextlib.suppress(OSError):
                    os.remove(osp.join(folder, name))


def atomic_save_checkpoint(original):
    """``save_checkpoint`` that writes local files through a temporary name
    (fsync, then rename); other storages go to mmengine's own."""
    import tempfile

    from .utils.atomic import _public

    @functools.wraps(original)
    def save_checkpoint(checkpoint, filename, file_client_args=None,
                        backend_args=None):
        if '://' in str(filename) or file_client_args or backend_args:
            return original(checkpoint, filename, file_client_args,
                            backend_args)
        folder = osp.dirname(osp.abspath(filename)) or '.'
        os.makedirs(folder, exist_ok=True)
        _sweep_checkpoint_temps(folder)
        fd, tmp = tempfile.mkstemp(
            prefix=f'.{osp.basename(filename)}.spinemm-tmp-{os.getpid()}.',
            suffix='.pth', dir=folder)
        try:
            with os.fdopen(fd, 'wb') as f:
                torch.save(checkpoint, f)
                f.flush()
                os.fsync(f.fileno())
            _public(tmp, 0o666)
            os.replace(tmp, filename)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.remove(tmp)

    return save_checkpoint


def _deferring_removals(method):
    """Run a CheckpointHook save method with the file backend's ``remove``
    and ``rmtree`` deferred until the method (the new save) has finished."""

    @functools.wraps(method)
    def wrapper(self, runner, *args, **kwargs):
        backend = self.file_backend
        if getattr(backend, '_spinemm_pending', None) is not None:
            return method(self, runner, *args, **kwargs)  # nested call
        pending = []
        backend._spinemm_pending = pending
        backend.remove = lambda path: pending.append(
            (type(backend).remove, path))
        backend.rmtree = lambda path: pending.append(
            (type(backend).rmtree, path))
        try:
            result = method(self, runner, *args, **kwargs)
        finally:
            del backend.remove, backend.rmtree
            backend._spinemm_pending = None
        keep = {str(self.last_ckpt), str(getattr(self, 'best_ckpt_path', ''))}
        keep |= {str(p) for p in
                 (getattr(self, 'best_ckpt_path_dict', None) or {}).values()}
        for remove, path in pending:
            if str(path) not in keep and (backend.isfile(path)
                                          or backend.isdir(path)):
                remove(backend, path)
        return result

    return wrapper


def _patch_checkpoint_saving():
    import mmengine.runner as runner_package
    import mmengine.runner.checkpoint as ckpt
    import mmengine.runner.runner as runner_module
    from mmengine.hooks import CheckpointHook
    safe_save = atomic_save_checkpoint(ckpt.save_checkpoint)
    for module in (ckpt, runner_module, runner_package):
        module.save_checkpoint = safe_save
    for name in ('_save_checkpoint_with_step', '_save_best_checkpoint'):
        setattr(CheckpointHook, name,
                _deferring_removals(getattr(CheckpointHook, name)))


def _patch_cpu_distributed():
    import mmengine.dist.utils as dist_utils
    from mmengine.model.wrappers import MMDistributedDataParallel

    original_init_pytorch = dist_utils._init_dist_pytorch

    @functools.wraps(original_init_pytorch)
    def init_dist_pytorch(backend='nccl', init_backend='torch', **kwargs):
        if torch.cuda.is_available() or init_backend != 'torch':
            return original_init_pytorch(backend, init_backend, **kwargs)
        if backend != 'gloo':
            logging.getLogger('spinemm').warning(
                'no CUDA device: using the gloo backend instead of %s', backend)
        torch.distributed.init_process_group(
            backend='gloo', rank=int(os.environ['RANK']),
            world_size=int(os.environ['WORLD_SIZE']), **kwargs)

    dist_utils._init_dist_pytorch = init_dist_pytorch

    original_ddp_init = MMDistributedDataParallel.__init__

    @functools.wraps(original_ddp_init)
    def ddp_init(self, module, detect_anomalous_params=False, **kwargs):
        on_cpu = all(p.device.type == 'cpu' for p in module.parameters())
        if on_cpu:
            kwargs['device_ids'] = None
            kwargs.pop('output_device', None)
        original_ddp_init(self, module, detect_anomalous_params, **kwargs)

    MMDistributedDataParallel.__init__ = ddp_init


def _module_of(package):
    from mmengine.config.utils import MODULE2PACKAGE
    return {v: k for k, v in MODULE2PACKAGE.items()}.get(package, package)


def is_installed(package: str) -> bool:
    """``mmengine.utils.is_installed`` without pkg_resources."""
    import importlib.util
    try:
        return importlib.util.find_spec(_module_of(package)) is not None
    except (ImportError, ValueError):
        return False


def get_installed_path(package: str) -> str:
    """Folder of an installed package (distribution name or module name)."""
    import importlib.util
    spec = importlib.util.find_spec(_module_of(package))
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(
            f'{package} is not installed (or is a namespace package)')
    return osp.dirname(spec.origin)


def _patch_package_lookup():
    import mmengine.config.config as config_module
    import mmengine.utils as utils_module
    import mmengine.utils.package_utils as package_utils
    from mmengine.config.utils import MODULE2PACKAGE
    MODULE2PACKAGE.setdefault('spinemm', 'spinemm')
    for module in (config_module, utils_module, package_utils):
        module.is_installed = is_installed
        module.get_installed_path = get_installed_path


def apply():
    """Apply every fix once; called by ``import spinemm``."""
    global _APPLIED
    if _APPLIED:
        return
    _patch_checkpoint_loading()
    _patch_checkpoint_saving()
    _patch_cpu_distributed()
    _patch_package_lookup()
    _APPLIED = True
