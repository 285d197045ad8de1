"""What ``tools/train.py`` and ``tools/test.py`` do between argparse and Runner.

The flags are mmdet's (they are what OpenMMLab users type); the same code
serves mmdet, mmpose and mmseg configs, which differ only in how their
visualisation hook is told to save pictures.
"""
import os.path as osp

from mmengine.config import Config, DictAction


def _common(parser):
    parser.add_argument('config', help='config file path')
    parser.add_argument('--work-dir', help='folder for logs and checkpoints')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config keys, e.g. model.backbone.depth=18 '
        '"train_dataloader.batch_size=2"')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none', help='job launcher')
    # torchrun passes --local-rank (torch>=2.0) or --local_rank
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def add_train_args(parser):
    _common(parser)
    parser.add_argument(
        '--amp', action='store_true',
        help='automatic mixed precision (mmengine AmpOptimWrapper; needs a '
        'GPU)')
    parser.add_argument(
        '--amp-dtype', choices=['float16', 'bfloat16'], default='float16',
        help='autocast dtype with --amp (the loss scale is dynamic either '
        'way, mmengine\'s default)')
    parser.add_argument(
        '--auto-scale-lr', action='store_true',
        help='scale the learning rate by the total batch size '
        '(auto_scale_lr.base_batch_size in the config is the reference)')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from the given checkpoint, or, without a value, from the '
        'latest checkpoint in the work dir')
    return parser


def add_test_args(parser):
    _common(parser)
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--out', help='dump predictions to a pickle file (.pkl); with a '
        'vertebra keypoint metric, also <out>.keypoints.json (SpineKey form: '
        'per image {level: points} + IoU matches) and <out>.bbox.json '
        '(COCO detections, mmpose bbox_file)')
    parser.add_argument(
        '--show-dir', help='save a picture of the predictions over every test '
        'image to this folder (relative to the work dir; detection and pose '
        'runs put it inside their timestamped run folder)')
    return parser


def _load(args):
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    return cfg


def merge_train_args(args):
    """Config for training with the command line applied."""
    cfg = _load(args)
    if args.amp:
        import torch
        if not torch.cuda.is_available():
            # mmengine's AmpOptimWrapper asserts a GPU; say so before the
            # model is built rather than with its bare AssertionError
            raise RuntimeError(
                '--amp needs a CUDA GPU (mmengine AmpOptimWrapper); none is '
                'visible here, so train without --amp (fp32 on the CPU)')
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.dtype = args.amp_dtype
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg or 'base_batch_size' not in \
                cfg.auto_scale_lr:
            raise RuntimeError(
                f'{args.config} has no auto_scale_lr.base_batch_size, so '
                '--auto-scale-lr cannot scale the learning rate')
        cfg.auto_scale_lr.enable = True
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    return cfg


def merge_test_args(args):
    """Config for testing with the command line applied."""
    cfg = _load(args)
    cfg.load_from = args.checkpoint
    if args.show_dir:
        _enable_visualization(cfg, args.show_dir)
    if args.out is not None:
        if not args.out.endswith(('.pkl', '.pickle')):
            raise ValueError(f'--out must be a .pkl file, got {args.out}')
        cfg.test_evaluator = [cfg.test_evaluator] if isinstance(
            cfg.test_evaluator, dict) else list(cfg.test_evaluator)
        for metric in cfg.test_evaluator:
            if str(metric.get('type', '')).endswith('VertebraKeypointMetric'):
                metric['outfile_prefix'] = osp.splitext(args.out)[0]
        cfg.test_evaluator.append(
            dict(type='DumpResults', out_file_path=args.out))
    return cfg


def _enable_visualization(cfg, show_dir):
    hooks = cfg.get('default_hooks', {})
    if 'visualization' not in hooks:
        raise RuntimeError(
            f'--show-dir needs a `visualization` hook in default_hooks of '
            f'{cfg.filename}')
    vis = hooks['visualization']
    vis_type = str(vis.get('type', ''))
    if vis_type.endswith('DetVisualizationHook'):
        vis.update(draw=True, test_out_dir=show_dir)
    elif vis_type.endswith('PoseVisualizationHook'):
        vis.update(enable=True, out_dir=show_dir)
    elif vis_type.endswith('SegVisualizationHook'):
        # mmseg's hook draws every `interval`-th batch (50 by default) also
        # when testing, and its visualizer writes to save_dir as given:
        # draw every image, under the work dir like the det and pose hooks
        vis.update(draw=True, interval=1)
        cfg.visualizer['save_dir'] = osp.join(cfg.work_dir, show_dir)
    else:
        raise RuntimeError(f'--show-dir does not know hook {vis_type}')
