"""Evaluate a checkpoint: ``python tools/test.py CONFIG CHECKPOINT [flags]``."""
import argparse
import os.path as osp

import spinemm  # noqa: F401  (compat fixes before anything loads a checkpoint)
from mmengine.registry import RUNNERS
from mmengine.runner import Runner
from spinemm.engine.cli import finish_distributed
from spinemm.engine import add_test_args, merge_test_args
from spinemm.utils import refusals_as_exit


def main():
    parser = add_test_args(argparse.ArgumentParser(description=__doc__))
    args = parser.parse_args()
    cfg = merge_test_args(args)
    runner = (Runner.from_cfg(cfg) if 'runner_type' not in cfg else
              RUNNERS.build(cfg))
    runner.test()
    if args.out and osp.isfile(args.out):
        # mmengine's DumpResults wrote it: mark it spinemm's, so that a
        # rerun may replace it
        from spinemm.utils.manifest import record_written
        record_written(args.out)
    finish_distributed()


if __name__ == '__main__':
    with refusals_as_exit():  # InputError, refused outputs: no traceback
        main()
