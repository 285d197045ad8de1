"""Cascade Mask R-CNN whose last stage also predicts the vertebral keypoints."""
import torch
from mmdet.models.roi_heads import CascadeRoIHead
from mmdet.structures.bbox import bbox2roi

from ...registry import MODELS
from .keypoint_head import expand_rois


@MODELS.register_module()
class VertebraCascadeRoIHead(CascadeRoIHead):
    """``CascadeRoIHead`` + a keypoint branch on the last stage.

    Training: the keypoint head sees the positive samples of the last stage
    (those assigned at its IoU threshold), with RoIs enlarged by
    ``keypoint_roi_scale`` so that endplate corners on the box edge stay
    inside; its loss is logged as ``s{last}.loss_kpt`` with the head's own
    ``loss_weight`` (the stage weight is not applied twice). Inference: the
    final boxes (after the cascade, NMS and score threshold) get keypoints;
    results carry ``keypoints`` (N, 6, 2) and ``keypoint_scores`` (N, 6) in
    the same image space as ``bboxes``.

    Without ``keypoint_head`` this is the stock ``CascadeRoIHead``.
    ``num_classes`` (optional) is written into every stage's bbox head and
    the mask head, so a per-level config is one line instead of three
    restated stages.
    """

    def __init__(self, *args, keypoint_roi_extractor=None,
                 keypoint_head=None, keypoint_roi_scale=1.2,
                 num_classes=None, **kwargs):
        if num_classes is not None:
            for key in ('bbox_head', 'mask_head'):
                heads = kwargs.get(key)
                if isinstance(heads, (list, tuple)):
                    kwargs[key] = [dict(h, num_classes=num_classes)
                                   for h in heads]
                elif heads is not None:
                    kwargs[key] = dict(heads, num_classes=num_classes)
        super().__init__(*args, **kwargs)
        self.keypoint_roi_scale = keypoint_roi_scale
        if keypoint_head is not None:
            self.keypoint_roi_extractor = MODELS.build(keypoint_roi_extractor)
            self.keypoint_head = MODELS.build(keypoint_head)

    @property
    def with_keypoint(self):
        return getattr(self, 'keypoint_head', None) is not None

    def _keypoint_forward(self, x, rois):
        rois = expand_rois(rois, self.keypoint_roi_scale)
        feats = self.keypoint_roi_extractor(
            x[:self.keypoint_roi_extractor.num_inputs], rois)
        return self.keypoint_head(feats), rois

    def loss(self, x, rpn_results_list, batch_data_samples):
        self._batch_gt_instances = [s.gt_instances for s in batch_data_samples]
        try:
            return super().loss(x, rpn_results_list, batch_data_samples)
        finally:
            del self._batch_gt_instances

    def bbox_loss(self, stage, x, sampling_results):
        results = super().bbox_loss(stage, x, sampling_results)
        if self.with_keypoint and stage == self.num_stages - 1:
            gts = self._batch_gt_instances
            if any('keypoints' not in g for g in gts):
                raise KeyError('the keypoint head needs gt_instances.keypoints'
                               ': use spinemm.LoadVertebraKeypoints and '
                               'spinemm.PackVertebraInputs in the pipeline')
            rois = bbox2roi([r.pos_priors for r in sampling_results])
            gt_kpts = torch.cat([
                g.keypoints[r.pos_assigned_gt_inds].to(rois)
                for g, r in zip(gts, sampling_results)
            ])
            logits, rois = self._keypoint_forward(x, rois)
            loss = self.keypoint_head.loss(logits, rois, gt_kpts)
            # the cascade multiplies stage losses by the stage weight
            results['loss_bbox']['loss_kpt'] = \
                loss['loss_kpt'] / self.stage_loss_weights[stage]
        return results

    def predict(self, x, rpn_results_list, batch_data_samples, rescale=False):
        results_list = super().predict(x, rpn_results_list,
                                       batch_data_samples, rescale)
        if self.with_keypoint:
            metas = [s.metainfo for s in batch_data_samples]
            self.predict_keypoints(x, metas, results_list, rescale)
        return results_list

    def predict_keypoints(self, x, batch_img_metas, results_list, rescale):
        """Add ``keypoints`` and ``keypoint_scores`` to each result."""
        boxes = []
        for res, meta in zip(results_list, batch_img_metas):
            b = res.bboxes
            if rescale and len(b):  # back to network input space
                b = b * b.new_tensor(meta['scale_factor']).repeat(2)
            boxes.append(b)
        rois = bbox2roi(boxes)
        k = self.keypoint_head.num_keypoints
        if rois.shape[0] == 0:
            for res in results_list:
                res.keypoints = res.bboxes.new_zeros((0, k, 2))
                res.keypoint_scores = res.bboxes.new_zeros((0, k))
            return results_list
        logits, rois = self._keypoint_forward(x, rois)
        kpts, scores = self.keypoint_head.decode(logits, rois)
        start = 0
        for res, meta, b in zip(results_list, batch_img_metas, boxes):
            n = len(b)
            kp = kpts[start:start + n]
            if rescale:
                kp = kp / kp.new_tensor(meta['scale_factor'])
            res.keypoints = kp
            res.keypoint_scores = scores[start:start + n]
            start += n
        return results_list
