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
input and prints the largest difference.
"""
import argparse


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
    a = p.parse_args()
    if not a.out.endswith('.onnx'):
        raise SystemExit(f'error: --out must end with .onnx: {a.out}')
    from mmengine.config import Config
    cfg = Config.fromfile(a.config)
    scope = cfg.get('default_scope')
    if scope == 'mmdet':
        from mmdet.apis import init_detector
        model = init_detector(a.config, a.checkpoint, device='cpu')
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
    info = export_onnx(model, a.out, a.shape, a.opset)
    print(f'{info["kind"]} network, input (N, '
          f'{", ".join(map(str, info["input_shape"]))}) -> '
          f'{len(info["outputs"])} output(s): {a.out}')
    if a.verify:
        print(f'max |onnxruntime - pytorch| = '
              f'{verify_onnx(model, a.out, info["input_shape"]):.3g}')


if __name__ == '__main__':
    main()
