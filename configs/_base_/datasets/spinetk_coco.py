# A SpineTK folder converted by tools/dataset_converters/spinetk2coco.py
# (data/spinetk/coco/{train,val,test}.json, file names relative to the
# SpineTK root); hardware cases oversampled 3x, as SpineTK made 30 augmented
# copies of them against 10.
_base_ = './spinekey_coco.py'

data_root = 'data/spinetk/'
train_dataloader = dict(
    dataset=dict(data_root=data_root, ann_file='coco/train.json',
                 data_prefix=dict(img=''),
                 oversample=dict(key='hardware', times=3)))
val_dataloader = dict(
    dataset=dict(data_root=data_root, ann_file='coco/val.json',
                 data_prefix=dict(img='')))
test_dataloader = dict(
    dataset=dict(data_root=data_root, ann_file='coco/test.json',
                 data_prefix=dict(img='')))
val_evaluator = [
    dict(type='CocoMetric', ann_file=data_root + 'coco/val.json',
         metric=['bbox', 'segm']),
    dict(type='spinemm.VertebraKeypointMetric',
         ann_file=data_root + 'coco/val.json'),
]
test_evaluator = [
    dict(type='CocoMetric', ann_file=data_root + 'coco/test.json',
         metric=['bbox', 'segm']),
    dict(type='spinemm.VertebraKeypointMetric',
         ann_file=data_root + 'coco/test.json'),
]
