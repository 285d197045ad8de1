"""A trained level classifier (``configs/vertebra_lateral/level-cls_*``) on
the detections of a lateral film: per detection, log-probabilities over
C2, C3..L5, S1 and ``none`` from a crop of the film around it
(:mod:`spinemm.levels`), for
:func:`spinemm.morphometry.lateral_levels.lateral_levels`."""
import cv2
import numpy as np
import torch

from ..levels.crops import context_crop
from ..morphometry.lateral_appearance import COLUMN_CLASSES


class LevelClassifier:
    """``LevelClassifier(config, checkpoint)(film, corners)``: (D, 25)
    log-probabilities over
    :data:`~spinemm.morphometry.lateral_appearance.COLUMN_CLASSES`."""

    def __init__(self, config, checkpoint, device='cpu', batch_size=32):
        from mmengine.config import Config

        from ..engine.model_loading import load_model
        from ..utils.errors import InputError
        cfg = Config.fromfile(config)
        if cfg.model.get('type', '').split('.')[-1] != \
                'VertebraLevelClassifier':
            raise InputError(f'{config}: a {cfg.model.get("type")}, not a '
                             'level classifier (VertebraLevelClassifier)')
        self.model = load_model(config, checkpoint, device)
        self.size = int(cfg.size)
        ds = cfg.test_dataloader.dataset
        self.context = float(ds.get('context', 3.0))
        self.device, self.batch_size = device, batch_size

    @torch.no_grad()
    def __call__(self, image, corners):
        """(D, 25) log-probabilities for the (D, 4, 2) ``corners`` on the
        grey or BGR film ``image``; rows of non-finite corners are 0."""
        grey = image if image.ndim == 2 else cv2.cvtColor(
            image, cv2.COLOR_BGR2GRAY)
        corners = np.asarray(corners, float).reshape(-1, 4, 2)
        out = np.zeros((len(corners), len(COLUMN_CLASSES)))
        ok = np.nonzero(np.isfinite(corners).all((1, 2)))[0]
        for s in range(0, len(ok), self.batch_size):
            part = ok[s:s + self.batch_size]
            crops = np.stack([context_crop(grey, corners[i], self.size,
                                           self.context) for i in part])
            x = torch.from_numpy(crops)[:, None].to(self.device)
            out[part] = torch.log_softmax(self.model.logits(x), 1).cpu() \
                .numpy()
        return out
