"""Evaluate a checkpoint: ``python tools/test.py CONFIG CHECKPOINT [flags]``."""
import argparse

import spinemm  # noqa: F401  (compat fixes before anything loads a checkpoint)
from mmengine.registry import RUNNERS
from mmengine.runner import Runner
from spinemm.engine import add_test_args, merge_test_args


def main():
    parser = add_test_args(argparse.ArgumentParser(description=__doc__))
    cfg = merge_test_args(parser.parse_args())
    runner = (Runner.from_cfg(cfg) if 'runner_type' not in cfg else
              RUNNERS.build(cfg))
    runner.test()


if __name__ == '__main__':
    main()
