from .cli import (add_test_args, add_train_args, merge_test_args,
                  merge_train_args)

__all__ = ['add_train_args', 'add_test_args', 'merge_train_args',
           'merge_test_args']
