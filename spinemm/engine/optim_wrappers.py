"""Mixed precision on the CPU.

mmengine's ``AmpOptimWrapper`` refuses to run without a GPU (it asserts CUDA,
NPU, MLU or MUSA; mmengine 0.10.7, ``amp_optimizer_wrapper.py``), though
PyTorch autocasts on the CPU to bfloat16. bfloat16 has float32's exponent
range, so no loss scaling is needed (PyTorch's AMP docs: "CPU Ops that can
autocast to bfloat16"); the weights, gradients and optimiser state stay
float32. Whether it is faster depends on the CPU: processors with AVX512-BF16
or AMX run bfloat16 convolutions natively; on others it is slower.
"""
from contextlib import contextmanager

import torch
from mmengine.optim import OptimWrapper

from ..registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class CPUBf16OptimWrapper(OptimWrapper):
    """``OptimWrapper`` whose forward (``optim_context``) runs under
    ``torch.autocast('cpu', dtype=torch.bfloat16)``; use it as
    ``optim_wrapper = dict(type='spinemm.CPUBf16OptimWrapper', ...)``."""

    @contextmanager
    def optim_context(self, model):
        with super().optim_context(model), torch.autocast(
                'cpu', dtype=torch.bfloat16):
            yield
