"""Export the network of a top-down pose model or a segmentor to ONNX.

    python tools/deployment/pytorch2onnx.py CONFIG CHECKPOINT --out model.onnx
        [--shape C H W] [--verify]

The graph runs from the preprocessed input batch to the raw head output
(heatmaps / SimCC vectors, or class logits); pre- and post-processing stay
the libraries' code (spinemm.apis.onnx_backend says exactly where the cut
is). Run it with ``--backend onnxruntime`` in tools/report.py (pose) or
tools/seg_infer.py (segmentation). ``--verify`` compares onnxruntime with
PyTorch on a random input and prints the largest difference. The vertebra
detector is not exportable yet.
"""
import argparse


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('--out', required=True, help='the .onnx file to write')
    p.add_argument('--shape', type=int, nargs=3, metavar=('C', 'H', 'W'),
                   help='network input (default: from the config)')
    p.add_argument('--opset', type=int, default=17)
    p.add_argument('--verify', action='store_true')
    a = p.parse_args()
    if not a.out.endswith('.onnx'):
        raise SystemExit(f'error: --out must end with .onnx: {a.out}')
    from mmengine.config import Config

    from spinemm.apis.onnx_backend import export_onnx, verify_onnx
    cfg = Config.fromfile(a.config)
    scope = cfg.get('default_scope')
    if scope == 'mmpose':
        from mmpose.apis import init_model
    elif scope == 'mmseg':
        from mmseg.apis import init_model
    else:
        raise SystemExit(f'error: {a.config} is an {scope} config; ONNX '
                         'export covers pose models and segmentors')
    model = init_model(a.config, a.checkpoint, device='cpu')
    info = export_onnx(model, a.out, a.shape, a.opset)
    print(f'{info["kind"]} network, input (N, '
          f'{", ".join(map(str, info["input_shape"]))}) -> '
          f'{len(info["outputs"])} output(s): {a.out}')
    if a.verify:
        print(f'max |onnxruntime - pytorch| = '
              f'{verify_onnx(model, a.out, info["input_shape"]):.3g}')


if __name__ == '__main__':
    main()
