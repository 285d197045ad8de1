"""Run a function right after a package is first imported (PEP 451 hook).

``import spinemm`` must apply :mod:`spinemm.compat`'s fixes to mmengine, but
must not import torch and mmengine itself: ``spinemm.morphometry`` and the
data readers are plain numpy and should stay usable (and fast to import)
without the deep-learning stack. So the fixes are applied when mmengine is
imported, by whoever imports it first, or at once when it already is.
"""
import importlib.abc
import sys


class _AfterImport(importlib.abc.MetaPathFinder):

    def __init__(self, name, callback):
        self.name, self.callback = name, callback

    def find_spec(self, fullname, path=None, target=None):
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)  # once; and let the real finders look
        from importlib.util import find_spec
        spec = find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        loader, callback = spec.loader, self.callback

        class _Loader(importlib.abc.Loader):

            def create_module(self, spec):
                return loader.create_module(spec)

            def exec_module(self, module):
                loader.exec_module(module)
                callback()

        spec.loader = _Loader()
        return spec


def call_after_import(name, callback):
    """``callback()`` now if ``name`` is imported, else right after it is."""
    if name in sys.modules:
        callback()
        return
    if not any(isinstance(f, _AfterImport) and f.name == name
               for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterImport(name, callback))
