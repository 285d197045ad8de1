"""Build a model from its config and load its checkpoint, in the config's
default scope whatever scope the process runs in."""
from mmengine.config import Config
from mmengine.runner import load_checkpoint

from ..utils.errors import InputError


def load_model(config, checkpoint, device='cpu'):
    """A model from its config (path or Config) and checkpoint (None:
    untrained), in eval mode on ``device``; the config is attached as
    ``model.cfg``. A checkpoint whose weights do not fit the model is an
    error (:func:`check_checkpoint_fits`)."""
    from mmengine.registry import DefaultScope

    from ..registry import MODELS
    cfg = Config.fromfile(config) if isinstance(config, str) else config
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope', 'spinemm')):
        model = MODELS.build(cfg.model)
    if checkpoint is not None:
        check_checkpoint_fits(model, checkpoint, f'the model of {config}'
                              if isinstance(config, str) else 'the model')
        load_checkpoint(model, checkpoint, map_location='cpu', logger='silent')
    model.cfg = cfg
    return model.to(device).eval()


class CheckpointMismatchError(InputError):
    """A checkpoint's weights do not fit the model built from a config."""


def checkpoint_state_dict(checkpoint):
    """The state dict of a checkpoint file (safe load; a DataParallel /
    DDP ``module.`` prefix removed)."""
    from ..compat import safe_torch_load
    if str(checkpoint).startswith(('http://', 'https://')):
        from ..compat import download_checkpoint
        checkpoint = download_checkpoint(checkpoint)
    ckpt = safe_torch_load(checkpoint, map_location='cpu')
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else ckpt
    if not isinstance(state, dict):
        raise CheckpointMismatchError(
            f'{checkpoint}: holds a {type(state).__name__}, not a state dict')
    return {k[7:] if k.startswith('module.') else k: v
            for k, v in state.items()}


def check_checkpoint_fits(model, checkpoint, what='the model'):
    """Raise :class:`CheckpointMismatchError` unless every weight of
    ``model`` is in ``checkpoint`` with its shape and the checkpoint holds
    nothing else.

    mmengine's loader (``strict=False``) only logs mismatched keys: a
    checkpoint of another model, or an empty ``state_dict``, would leave
    random weights and give confident wrong predictions. For inference and
    export the weights must fit exactly; the message names the checkpoint
    and the first missing, unexpected and reshaped keys.
    """
    state = checkpoint_state_dict(checkpoint)
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    reshaped = [f'{k} {tuple(state[k].shape)} vs {tuple(own[k].shape)}'
                for k in own if k in state and hasattr(state[k], 'shape')
                and tuple(state[k].shape) != tuple(own[k].shape)]
    if not (missing or unexpected or reshaped):
        return
    parts = []
    for name, keys in (('missing', missing), ('unexpected', unexpected),
                       ('of another shape (checkpoint vs model)', reshaped)):
        if keys:
            parts.append(f'{len(keys)} {name} (first: '
                         f'{", ".join(keys[:3])})')
    raise CheckpointMismatchError(
        f'{checkpoint} does not fit {what}: of its {len(own)} weights, '
        + '; '.join(parts) + '. Is it the checkpoint of this config?')
