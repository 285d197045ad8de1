"""What every ONNX file spinemm writes or runs shares: the dataset meta
stored in the file, and the onnxruntime session options. One home below
:mod:`spinemm.apis.onnx_backend` (pose and segmentation networks) and
:mod:`spinemm.apis.onnx_detector` (the detector's parts)."""


def jsonable(x):
    """A value of a dataset meta as JSON can store it."""
    return x.tolist() if hasattr(x, 'tolist') else str(x)


def write_meta(path, meta):
    """The model's dataset meta (classes, palette, keypoint names, flip
    indices) travels in the ONNX file: the runtime must not fall back to a
    library's default classes."""
    import onnx
    model = onnx.load(path)
    for k, v in meta.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = f'spinemm_{k}', v
    onnx.save(model, path)


def session_options():
    """onnxruntime options for a network inside a PyTorch pipeline: the
    pre- and post-processing run in PyTorch between the calls, so
    onnxruntime's threads must not spin-wait on the cores meanwhile (with
    spinning the detector ran at 0.85 img/s, without at 1.44, 2 cores)."""
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.add_session_config_entry('session.intra_op.allow_spinning', '0')
    return options
