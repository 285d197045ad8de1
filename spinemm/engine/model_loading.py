"""Build a model from its config and load its checkpoint, in the config's
default scope whatever scope the process runs in."""
from mmengine.config import Config
from mmengine.runner import load_checkpoint


def load_model(config, checkpoint, device='cpu'):
    """A model from its config (path or Config) and checkpoint (None:
    untrained), in eval mode on ``device``; the config is attached as
    ``model.cfg``."""
    from mmengine.registry import DefaultScope

    from ..registry import MODELS
    cfg = Config.fromfile(config) if isinstance(config, str) else config
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope', 'spinemm')):
        model = MODELS.build(cfg.model)
    if checkpoint is not None:
        load_checkpoint(model, checkpoint, map_location='cpu', logger='silent')
    model.cfg = cfg
    return model.to(device).eval()
