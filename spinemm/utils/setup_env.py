"""Registration entry point expected by mmengine for a registered scope."""
import importlib


def register_all_modules(init_default_scope: bool = False) -> None:
    """Import every spinemm package that registers modules.

    mmengine calls this (as ``spinemm.utils.register_all_modules(False)``) for a
    spinemm registry without ``locations``; OpenMMLab users call it by habit.
    spinemm's configs keep the default scope of the library they build on, so
    ``init_default_scope`` is accepted for compatibility and sets ``spinemm``
    as the default scope only when asked.
    """
    from ..registry import MODEL_PACKAGES, DATA_PACKAGES
    for package in dict.fromkeys(MODEL_PACKAGES + DATA_PACKAGES):
        importlib.import_module(package)
    if init_default_scope:
        from mmengine.registry import DefaultScope
        if DefaultScope.get_current_instance() is None:
            DefaultScope.get_instance('spinemm', scope_name='spinemm')
