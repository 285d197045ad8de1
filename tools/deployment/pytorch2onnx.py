"""Export a trained model's networks to ONNX: the vertebra detector, a
top-down pose model or a segmentor.

    python tools/deployment/pytorch2onnx.py CONFIG CHECKPOINT --out model.onnx
        [--shape C H W] [--verify]

The graphs run from the preprocessed input batch to the raw head outputs
(heatmaps / SimCC vectors, class logits; for the detector each network part:
backbone + FPN, RPN head, each cascade stage's box head, mask heads and
keypoint head, with RoIAlign inside). What lies between and after them
(anchors, box decoding, NMS, mask pasting, heatmap decoding) stays the
libraries' code: spinemm.apis.onnx_backend and spinemm.apis.onnx_detector
say exactly where each cut is. Run the file with ``--backend onnxruntime``
in tools/infer.py (detector), tools/report.py (pose) or tools/seg_infer.py
(segmentation). ``--verify`` compares onnxruntime with PyTorch on a random
input and prints the largest difference. An existing --out that spinemm did
not write is refused before the export (--overwrite replaces it); a
checkpoint whose weights do not fit the config's model is refused, naming
the first missing and unexpected keys.
"""
import argparse


def fits(model, a):
    """The checkpoint's weights must fit the model exactly: mmengine only
    logs mismatched keys, and a random network would be exported."""
    from spinemm.engine.model_loading import (CheckpointMismatchError,
                                              check_checkpoint_fits)
    try:
        check_checkpoint_fits(model, a.checkpoint,
                              f'the model of {a.config}')
    except CheckpointMismatchError as e:
        raise SystemExit(f'error: {e}') from None


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('--out', required=True, help='the .onnx file to write')
    p.add_argument('--shape', type=int, nargs=3, metavar=('C', 'H', 'W'),
                   help='network input (default: from the config; the '
                   'detector takes any H, W)')
    p.add_argument('--opset', type=int, default=17)
    p.add_argument('--verify', action='store_true')
    p.add_argument('--overwrite', action='store_true',
                   help='replace an --out file that spinemm did not write')
    a = p.parse_args()
    if not a.out.endswith('.onnx'):
        raise SystemExit(f'error: --out must end with .onnx: {a.out}')
    from spinemm.utils import OutputPlan, refusals_as_exit
    with refusals_as_exit():
        OutputPlan(a.overwrite, [a.config, a.checkpoint], [a.out]).check()
    from mmengine.config import Config
    cfg = Config.fromfile(a.config)
    scope = cfg.get('default_scope')
    if scope == 'mmdet':
        from mmdet.apis import init_detector
        model = init_detector(a.config, a.checkpoint, device='cpu')
        fits(model, a)
        from spinemm.apis.onnx_detector import export_detector, \
            verify_detector
        info = export_detector(model, a.out, a.shape, a.opset)
        print(f'detector, input (N, {", ".join(map(str, info["input_shape"]))})'
              f', parts {", ".join(info["parts"])}: {a.out}')
        if a.verify:
            diffs = verify_detector(model, a.out, info['input_shape'])
            for name, d in diffs.items():
                print(f'  {name}: {d:.3g}')
            print(f'max |onnxruntime - pytorch| = {max(diffs.values()):.3g}')
        return
    if scope == 'mmpose':
        from mmpose.apis import init_model
    elif scope == 'mmseg':
        from mmseg.apis import init_model
    else:
        raise SystemExit(f'error: {a.config} is an {scope} config; ONNX '
                         'export covers detectors, pose models and '
                         'segmentors')
    from spinemm.apis.onnx_backend import export_onnx, verify_onnx
    model = init_model(a.config, a.checkpoint, device='cpu')
    fits(model, a)
    info = export_onnx(model, a.out, a.shape, a.opset)
    print(f'{info["kind"]} network, input (N, '
          f'{", ".join(map(str, info["input_shape"]))}) -> '
          f'{len(info["outputs"])} output(s): {a.out}')
    if a.verify:
        print(f'max |onnxruntime - pytorch| = '
              f'{verify_onnx(model, a.out, info["input_shape"]):.3g}')


if __name__ == '__main__':
    from spinemm.utils import refusals_as_exit
    with refusals_as_exit():  # InputError, refused outputs: no traceback
        main()
