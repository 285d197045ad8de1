from .atomic import atomic_dir, atomic_file, atomic_write_json, read_json
from .setup_env import register_all_modules

__all__ = [
    'atomic_dir', 'atomic_file', 'atomic_write_json', 'read_json',
    'register_all_modules'
]
