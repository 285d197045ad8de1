"""A 3D patch segmentor for mmengine: any (B, C, D, H, W) -> (B, K, D, H, W)
network (MONAI's, or :class:`SegFormer3D`), Dice + cross-entropy loss, and
Gaussian-weighted sliding-window inference over whole volumes (MONAI's
``sliding_window_inference``)."""
import torch
import torch.nn.functional as F
from mmengine.model import BaseDataPreprocessor, BaseModel
from mmengine.structures import BaseDataElement

from ..registry import MODELS


@MODELS.register_module()
class VolumeDataPreprocessor(BaseDataPreprocessor):
    """Stacks ``inputs`` (lists of (C, D, H, W) tensors, all one shape) into
    a batch on the model's device; data samples move with it."""

    def forward(self, data, training=False):
        data = self.cast_data(data)
        inputs = data['inputs']
        if isinstance(inputs, (list, tuple)):
            shapes = {tuple(x.shape) for x in inputs}
            if len(shapes) > 1:
                raise ValueError(f'a 3D batch needs one patch shape, got '
                                 f'{sorted(shapes)}')
            inputs = torch.stack(list(inputs))
        return dict(inputs=inputs.float(),
                    data_samples=data.get('data_samples'))


@MODELS.register_module()
class VolumeSegmentor3D(BaseModel):
    """Args:
        network: config of the network; its ``out_channels`` is the number
            of classes (index 0 background).
        loss_dice / loss_ce: weights of MONAI's soft Dice (softmax, one-hot
            labels, background included) and of cross-entropy.
        test_cfg: ``roi_size`` (the sliding window, default the training
            patch), ``sw_batch_size``, ``overlap``, ``mode`` ('gaussian').
    """

    def __init__(self, network, loss_dice=1.0, loss_ce=1.0, test_cfg=None,
                 data_preprocessor=None, init_cfg=None):
        if data_preprocessor is None:
            data_preprocessor = dict(type='spinemm.VolumeDataPreprocessor')
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        from monai.losses import DiceLoss
        self.network = MODELS.build(network)
        self.num_classes = int(network['out_channels'])
        self.dice = DiceLoss(to_onehot_y=True, softmax=True)
        self.w_dice, self.w_ce = loss_dice, loss_ce
        self.test_cfg = dict(sw_batch_size=2, overlap=0.25, mode='gaussian')
        self.test_cfg.update(test_cfg or {})

    def _labels(self, data_samples):
        return torch.stack([s.gt_seg_map for s in data_samples]).long()

    def forward(self, inputs, data_samples=None, mode='tensor'):
        if mode == 'tensor':
            return self.network(inputs)
        if mode == 'loss':
            logits = self.network(inputs)
            labels = self._labels(data_samples)
            if int(labels.max()) >= self.num_classes:
                raise ValueError(f'label {int(labels.max())} >= '
                                 f'out_channels {self.num_classes}')
            return dict(loss_dice=self.w_dice * self.dice(logits,
                                                          labels[:, None]),
                        loss_ce=self.w_ce * F.cross_entropy(logits, labels))
        if mode == 'predict':
            probs = self.predict_volume(inputs)
            out = []
            for i, p in enumerate(probs):
                s = data_samples[i] if data_samples else BaseDataElement()
                s.pred_seg_map = p.argmax(0).to(torch.uint8)
                out.append(s)
            return out
        raise ValueError(f'mode {mode!r}: tensor, loss or predict')

    @torch.no_grad()
    def predict_volume(self, inputs, progress=False):
        """(B, C, D, H, W) -> (B, K, D, H, W) softmax, by a Gaussian-weighted
        sliding window of ``test_cfg.roi_size`` (a volume smaller than the
        window is padded by MONAI and cropped back)."""
        from monai.inferers import sliding_window_inference
        roi = self.test_cfg.get('roi_size')
        if roi is None:
            raise ValueError('test_cfg.roi_size (the sliding window) is not '
                             'set; configs set it to the training patch')
        logits = sliding_window_inference(
            inputs, tuple(roi), self.test_cfg['sw_batch_size'],
            lambda x: self.network(x).float(),
            overlap=self.test_cfg['overlap'], mode=self.test_cfg['mode'],
            progress=progress)
        return logits.softmax(1)
