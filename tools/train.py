"""Train a model from a config: ``python tools/train.py CONFIG [flags]``."""
import argparse

import spinemm  # noqa: F401  (compat fixes before anything loads a checkpoint)
from mmengine.registry import RUNNERS
from mmengine.runner import Runner
from spinemm.engine.cli import finish_distributed
from spinemm.engine import add_train_args, merge_train_args
from spinemm.utils import refusals_as_exit


def main():
    parser = add_train_args(argparse.ArgumentParser(description=__doc__))
    cfg = merge_train_args(parser.parse_args())
    runner = (Runner.from_cfg(cfg) if 'runner_type' not in cfg else
              RUNNERS.build(cfg))
    runner.train()
    finish_distributed()


if __name__ == '__main__':
    with refusals_as_exit():  # InputError, refused outputs: no traceback
        main()
