"""spinemm's training hooks in a real mmengine Runner (a toy model)."""
import csv
import os.path as osp

import torch
from mmengine.model import BaseModel
from mmengine.runner import Runner

import spinemm.engine.hooks  # noqa: F401  (registers the hooks)


class _Toy(BaseModel):

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.tensor([3.0]))

    def forward(self, inputs, data_samples=None, mode='tensor'):
        loss = ((self.w - inputs) ** 2).mean()
        return dict(loss=loss) if mode == 'loss' else [loss]


class _Data(torch.utils.data.Dataset):

    def __len__(self):
        return 8

    def __getitem__(self, i):
        return dict(inputs=torch.tensor([float(i % 3)]))


def _runner(work, iters, resume, name):
    return Runner(
        model=_Toy(), work_dir=work, experiment_name=name,
        train_dataloader=dict(dataset=_Data(), batch_size=2,
                              sampler=dict(type='DefaultSampler',
                                           shuffle=False),
                              collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.05)),
        train_cfg=dict(by_epoch=False, max_iters=iters),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook',
                                           interval=3, by_epoch=False),
                           logger=dict(type='LoggerHook', interval=1)),
        custom_hooks=[dict(type='spinemm.LossHistoryHook', interval=1)],
        resume=resume, default_scope='mmengine')


def _iters(work):
    with open(osp.join(work, 'loss_history.csv')) as f:
        return [int(r['iter']) for r in csv.DictReader(f)]


def test_loss_history_survives_resume(tmp_path):
    work = str(tmp_path)
    _runner(work, 3, False, 'first').train()
    assert _iters(work) == [1, 2, 3]
    # a new process would start here: the history comes from iter_3.pth
    _runner(work, 6, True, 'resumed').train()
    assert _iters(work) == [1, 2, 3, 4, 5, 6]
    assert osp.getsize(osp.join(work, 'loss_history.png')) > 1000
