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
   ``weights_only=False``, which runs any pickled code. spinemm keeps ``weights_only=True`` and adds, for the duration
   of the load only, an allow-list of the globals OpenMMLab checkpoints hold.
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
"""
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


def safe_torch_load(filename, map_location=None):
    """``torch.load(weights_only=True)`` with the OpenMMLab allow-list.

    Raises:
        UnsafeCheckpointError: the file holds a global outside the allow-list;
            the message names the global and the file.
    """
    try:
        with torch.serialization.safe_globals(list(allowed_globals())):
            return torch.load(
                filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        msg = str(e)
        found = re.search(r'GLOBAL (\S+)', msg) or re.search(
            r'(refused getattr\([^)]*\))', msg) or re.search(
                r'unrecognized function (\S+)', msg)
        what = found.group(1) if found else msg.splitlines()[0]
        raise UnsafeCheckpointError(
            f'Refusing to load checkpoint {filename}: it holds the pickled '
            f'global `{what}`, which is not on spinemm\'s allow-list of '
            'globals found in OpenMMLab checkpoints (spinemm/compat.py). '
            'Loading it would run code from the file. If you trust the '
            'file, convert it to a plain state_dict first.') from e


def _load_from_local(filename, map_location):
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    return safe_torch_load(filename, map_location)


def _patch_checkpoint_loading():
    from mmengine.runner.checkpoint import CheckpointLoader
    CheckpointLoader.register_scheme(
        prefixes='', loader=_load_from_local, force=True)


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
    _patch_cpu_distributed()
    _patch_package_lookup()
    _APPLIED = True
