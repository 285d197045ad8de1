# Test the CPU top-down model on a detector's boxes instead of ground-truth
# ones: first `python tools/test.py <vertebra_det config> <ckpt> --out
# work_dirs/kpt/pred.pkl` (writes work_dirs/kpt/pred.bbox.json).
_base_ = './td-hm_res18_8e_phantom-cpu-96x96.py'

val_dataloader = dict(dataset=dict(bbox_file='work_dirs/kpt/pred.bbox.json'))
test_dataloader = val_dataloader
# morphometry needs every vertebra of an image matched to its annotation,
# which detected boxes do not give; keypoint metrics still apply
val_evaluator = [
    dict(type='CocoMetric', ann_file='data/phantom2d/annotations/val.json'),
]
test_evaluator = val_evaluator
