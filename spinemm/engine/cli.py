"""What ``tools/train.py`` and ``tools/test.py`` do between argparse and Runner.

The flags are mmdet's (they are what OpenMMLab users type); the same code
serves mmdet, mmpose and mmseg configs, which differ only in how their
visualisation hook is told to save pictures.
"""
import difflib
import os.path as osp

from mmengine.config import Config, DictAction

from ..utils.errors import InputError

#: the top-level config keys mmengine's Runner reads: an unknown key this
#: close to one of them is a typo (``trian_cfg``) that the Runner would
#: ignore without a word (user variables such as ``img_scale`` are free)
KNOWN_KEYS = (
    'model', 'work_dir', 'train_dataloader', 'val_dataloader',
    'test_dataloader', 'train_cfg', 'val_cfg', 'test_cfg', 'auto_scale_lr',
    'optim_wrapper', 'param_scheduler', 'val_evaluator', 'test_evaluator',
    'default_hooks', 'custom_hooks', 'data_preprocessor', 'load_from',
    'resume', 'launcher', 'env_cfg', 'log_processor', 'log_level',
    'visualizer', 'default_scope', 'randomness', 'experiment_name',
    'custom_imports')
#: how the Runner's sections end: only such keys are checked (``mode`` or
#: ``img_scale`` are a config's own variables)
SECTION_SUFFIXES = ('_cfg', '_dataloader', '_evaluator', '_hooks',
                    '_scheduler', '_wrapper', '_processor', '_from')


class CfgOptionsAction(DictAction):
    """mmengine's ``DictAction`` less its removal of every space: a plain
    value (``data_root=/data/my scans``) is kept as written; lists and
    tuples (``a=[1, 2]``, ``a=1,2``) are parsed as mmengine does."""

    @staticmethod
    def _parse_iterable(val):
        plain = val.strip('\'"')
        if plain[:1] in '[(' or ',' in plain:
            return DictAction._parse_iterable(val)
        return DictAction._parse_int_float_bool(plain)


def check_config_keys(cfg, path):
    """Refuse a top-level key shaped like a Runner section
    (:data:`SECTION_SUFFIXES`) that is a near miss of one it reads."""
    for key in cfg.keys():
        if key in KNOWN_KEYS or key.startswith('_') or \
                not key.endswith(SECTION_SUFFIXES):
            continue
        close = difflib.get_close_matches(key, KNOWN_KEYS, n=1,
                                          cutoff=0.85)
        if close:
            raise InputError(f'{path}: unknown top-level key {key!r}; did '
                             f'you mean {close[0]!r}? (mmengine would '
                             'ignore it without a word)')


def load_config(path):
    """``Config.fromfile`` with errors that name the file: a syntax error
    (mmengine says ``File "<unknown>"``), a missing file, a typo'd key."""
    if not osp.isfile(path):
        raise InputError(f'config not found: {path}')
    try:
        cfg = Config.fromfile(path)
    except SyntaxError as e:
        raise InputError(f'{path}, line {e.lineno}: syntax error: '
                         f'{e.msg}') from e
    check_config_keys(cfg, path)
    return cfg


def _ann_files(cfg, sections):
    """``(section, path)`` of every .json ``ann_file`` of the dataloaders
    and evaluators named, joined to the dataset's ``data_root`` as mmengine
    joins them."""
    out = []
    for sec in sections:
        loader = cfg.get(f'{sec}_dataloader') or {}
        ds = loader.get('dataset') or {}
        while ds.get('dataset'):  # RepeatDataset, ClassBalancedDataset
            ds = ds['dataset']
        ann = ds.get('ann_file')
        if isinstance(ann, str) and ann.endswith('.json'):
            root = ds.get('data_root') or ''
            out.append((f'{sec}_dataloader',
                        ann if osp.isabs(ann) else osp.join(root, ann)))
        evaluators = cfg.get(f'{sec}_evaluator') or []
        for ev in ([evaluators] if isinstance(evaluators, dict)
                   else evaluators):
            ann = ev.get('ann_file') if hasattr(ev, 'get') else None
            if isinstance(ann, str) and ann.endswith('.json'):
                out.append((f'{sec}_evaluator', ann))
    return out


def check_annotation_files(cfg, sections):
    """A COCO annotation file that is missing, not JSON, or lists no image
    is an error naming it before the model is built (mmengine says
    ``JSONDecodeError`` or "need at least one array to concatenate")."""
    import json
    for where, path in _ann_files(cfg, sections):
        if not osp.isfile(path):
            raise InputError(f'{where}.ann_file not found: {path}')
        try:
            with open(path) as f:
                data = json.load(f)
        except (ValueError, UnicodeDecodeError) as e:
            raise InputError(f'{path} ({where}.ann_file) is not valid '
                             f'JSON: {e}') from e
        if isinstance(data, dict) and 'images' in data and \
                not data['images']:
            raise InputError(f'{path} ({where}.ann_file) lists no image: '
                             'nothing to train or test on')


def _common(parser):
    parser.add_argument('config', help='config file path')
    parser.add_argument('--work-dir', help='folder for logs and checkpoints')
    parser.add_argument(
        '--cfg-options', nargs='+', action=CfgOptionsAction,
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
    parser.add_argument(
        '--overwrite', action='store_true', help='replace --out files that '
        'spinemm did not write')
    return parser


def _load(args):
    cfg = load_config(args.config)
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
    check_annotation_files(cfg, ('train', 'val'))
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
    check_annotation_files(cfg, ('test', ))
    cfg.load_from = args.checkpoint
    if args.show_dir:
        _enable_visualization(cfg, args.show_dir)
    if args.out is not None:
        if not args.out.endswith(('.pkl', '.pickle')):
            raise ValueError(f'--out must be a .pkl file, got {args.out}')
        from ..utils import OutputPlan, refusals_as_exit
        prefix = osp.splitext(args.out)[0]
        with refusals_as_exit():  # before the model is built
            OutputPlan(args.overwrite, [args.checkpoint], [
                args.out, prefix + '.keypoints.json', prefix + '.bbox.json'
            ]).check()
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


def finish_distributed():
    """Destroy the default process group, if a launcher made one, before
    the interpreter exits. mmengine's runner never does; with gloo a rank
    whose group is still alive at exit can die of SIGABRT ("terminate called
    without an active exception": gloo's worker threads outlive the
    interpreter, pytorch/pytorch#190489; an atexit fix was proposed and
    abandoned in pytorch/pytorch#179291). Seen here as 1 in 3 runs of
    ``dist_test.sh`` on 2 CPU processes failing after correct results."""
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
