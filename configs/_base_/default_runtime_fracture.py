# The RSNA fracture stages run on spinemm's own runtime.
_base_ = ['./default_runtime_spinemm.py']
