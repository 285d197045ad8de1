"""Where a detector's training step spends its time, on the config's own
data: the data pipeline, and inside the model the backbone + neck, the RPN,
and per cascade stage the RoI assignment and sampling, the box head, the
mask head with its targets, the keypoint head; then backward and the
optimiser step.

Each part is timed by wrapping the method that computes it (forward only;
backward is one figure, as autograd runs it). Used by
``tools/analysis_tools/profile_train_step.py``.
"""
import copy
import time
from collections import defaultdict
from contextlib import contextmanager

import torch

#: (label, attribute path on the model, method name) of the parts timed
PARTS = (
    ('backbone+neck', '', 'extract_feat'),
    ('rpn', 'rpn_head', 'loss_and_predict'),
    ('roi: box head', 'roi_head', 'bbox_loss'),
    ('roi: mask head + targets', 'roi_head', 'mask_loss'),
    ('roi: mask targets', 'roi_head.mask_head.*', 'get_targets'),
    ('roi: keypoint head', 'roi_head', '_keypoint_forward'),
    ('roi: assign', 'roi_head.bbox_assigner.*', 'assign'),
    ('roi: sample', 'roi_head.bbox_sampler.*', 'sample'),
)


def _targets(model, path):
    objs = [model]
    for name in [p for p in path.split('.') if p]:
        nxt = []
        for o in objs:
            if name == '*':
                nxt.extend(list(o) if hasattr(o, '__iter__') else [o])
            elif hasattr(o, name):
                nxt.append(getattr(o, name))
        objs = nxt
    return objs


@contextmanager
def timed_parts(model, totals):
    """Wrap every part of :data:`PARTS` the model has; seconds add up in
    ``totals[label]``. Nested parts (the box head inside the keypoint
    branch's stage) are counted in both."""
    undo = []
    for label, path, method in PARTS:
        for obj in _targets(model, path):
            fn = getattr(obj, method, None)
            if fn is None:
                continue

            def wrapped(*a, _fn=fn, _label=label, **k):
                t = time.perf_counter()
                try:
                    return _fn(*a, **k)
                finally:
                    totals[_label] += time.perf_counter() - t
            setattr(obj, method, wrapped)
            undo.append((obj, method))
    try:
        yield totals
    finally:
        for obj, method in undo:
            delattr(obj, method)  # the instance attribute: back to the class


def profile_train_steps(cfg, iters=10, warmup=2, threads=None):
    """Seconds per iteration of each part of ``cfg``'s training step on its
    training data (its dataloader, workers and all). Returns dict(parts=
    {label: s}, data_s, forward_s, backward_s, step_s, total_s,
    images_per_s, threads, batch_size)."""
    from mmengine.runner import Runner
    if threads:
        torch.set_num_threads(int(threads))
    cfg = copy.deepcopy(cfg)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.test_cfg = cfg.test_dataloader = cfg.test_evaluator = None
    cfg.default_hooks.checkpoint = None
    runner = Runner.from_cfg(cfg)
    model = runner.model
    optim = runner.build_optim_wrapper(cfg.optim_wrapper)
    model.train()
    it = iter(runner.train_dataloader)
    totals = defaultdict(float)
    phase = defaultdict(float)
    bs = cfg.train_dataloader.batch_size
    for i in range(warmup + iters):
        keep = i >= warmup
        t0 = time.perf_counter()
        try:
            data = next(it)
        except StopIteration:
            it = iter(runner.train_dataloader)
            data = next(it)
        t1 = time.perf_counter()
        parts = defaultdict(float)
        with timed_parts(model, parts):
            d = model.data_preprocessor(data, True)
            losses = model(**d, mode='loss')
        loss, _ = model.parse_losses(losses)
        t2 = time.perf_counter()
        optim.zero_grad()
        loss.backward()
        t3 = time.perf_counter()
        optim.step()
        t4 = time.perf_counter()
        if keep:
            phase['data_s'] += t1 - t0
            phase['forward_s'] += t2 - t1
            phase['backward_s'] += t3 - t2
            phase['step_s'] += t4 - t3
            for k, v in parts.items():
                totals[k] += v
    out = {k: v / iters for k, v in phase.items()}
    out['total_s'] = sum(out.values())
    out['parts'] = {k: v / iters for k, v in totals.items()}
    out.update(images_per_s=bs / out['total_s'],
               threads=torch.get_num_threads(), batch_size=bs)
    return out
