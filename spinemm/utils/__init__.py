from .atomic import (MARKER, OutputExistsError, OutputOverlapError,
                     atomic_dir, atomic_file, atomic_write_json,
                     check_no_overlap, check_replaceable, output_kind,
                     read_json, refusals_as_exit)
from .errors import InputError
from .manifest import MANIFEST, check_may_write, spinemm_wrote
from .outputs import OutputCollisionError, OutputPlan
from .setup_env import register_all_modules

__all__ = [
    'MARKER', 'OutputExistsError', 'OutputOverlapError', 'atomic_dir',
    'atomic_file',
    'atomic_write_json', 'check_no_overlap', 'check_replaceable',
    'output_kind', 'read_json', 'refusals_as_exit', 'register_all_modules',
    'InputError', 'MANIFEST', 'OutputCollisionError', 'OutputPlan', 'check_may_write',
    'spinemm_wrote'
]
