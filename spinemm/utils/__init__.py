from .atomic import atomic_dir, atomic_write_json

__all__ = ['atomic_dir', 'atomic_write_json']
