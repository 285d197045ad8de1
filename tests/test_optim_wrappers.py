"""spinemm.CPUBf16OptimWrapper: the forward in bfloat16 on the CPU, the
weights, gradients and update in float32, built from a config dict."""
import torch
from torch import nn


def _model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Flatten(),
                         nn.Linear(8 * 6 * 6, 1))


def test_forward_in_bfloat16_update_in_float32():
    from mmengine.optim import build_optim_wrapper
    model = _model()
    wrapper = build_optim_wrapper(model, dict(
        type='spinemm.CPUBf16OptimWrapper',
        optimizer=dict(type='SGD', lr=0.1)))
    x = torch.randn(4, 3, 8, 8)
    with wrapper.optim_context(model):
        y = model(x)
    assert y.dtype == torch.bfloat16
    loss = y.float().pow(2).mean()
    before = model[0].weight.detach().clone()
    wrapper.update_params(loss)
    w = model[0].weight
    assert w.dtype == torch.float32 and w.grad is None  # zeroed after step
    assert not torch.equal(before, w.detach())
    # the same step in float32 moves the weights the same way, to bfloat16's
    # precision
    ref = _model()
    opt = torch.optim.SGD(ref.parameters(), lr=0.1)
    ref(x).pow(2).mean().backward()
    opt.step()
    step_bf16 = (w.detach() - before)
    step_fp32 = (ref[0].weight.detach() - before)
    cos = torch.nn.functional.cosine_similarity(step_bf16.flatten(),
                                                step_fp32.flatten(), dim=0)
    assert cos > 0.99
