"""spinemm's registries: children of mmengine's root registries (as mmyolo does).

Configs keep the default scope of the library whose models they build
(``mmdet``, ``mmpose`` or ``mmseg``) and name spinemm's plugins with their
scope, e.g. ``type='spinemm.VertebraCocoDataset'``. On such a lookup mmengine
imports ``spinemm.registry`` by itself, finds this scope under the root and
imports the ``locations`` below, so no import line is needed in a config and a
plugin works inside dicts inherited from ``mmdet::``/``mmpose::``/``mmseg::``
bases (which carry that library's ``_scope_``).
"""
from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import INFERENCERS as MMENGINE_INFERENCERS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import \
    OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import \
    RUNNER_CONSTRUCTORS as MMENGINE_RUNNER_CONSTRUCTORS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import TASK_UTILS as MMENGINE_TASK_UTILS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import \
    WEIGHT_INITIALIZERS as MMENGINE_WEIGHT_INITIALIZERS
from importlib import import_module

from mmengine.registry import Registry

#: The sub-packages that register modules, per kind. A new module is found by
#: its registry once its package is listed here.
MODEL_PACKAGES = ['spinemm.det', 'spinemm.pose', 'spinemm.seg',
                  'spinemm.levels', 'spinemm.fracture', 'spinemm.volume3d',
                  'spinemm.backbones']
DATA_PACKAGES = ['spinemm.det', 'spinemm.pose', 'spinemm.seg',
                 'spinemm.levels', 'spinemm.fracture', 'spinemm.volume3d',
                 'spinemm.synthesis.transforms', 'spinemm.synthesis.slabs']


#: the library each sub-package needs; others (spinemm.fracture,
#: spinemm.volume3d, hooks) need
#: none of the three
LIBRARY_OF = {'spinemm.det': 'mmdet', 'spinemm.pose': 'mmpose',
              'spinemm.seg': 'mmseg'}


class _LibraryAwareRegistry(Registry):
    """A registry that imports only the sub-packages of the library the run
    uses (the current default scope: a det-only config never imports mmpose
    or mmseg), and the rest only when a type is not found among them."""

    def _wanted(self):
        from mmengine.registry import DefaultScope
        current = DefaultScope.get_current_instance()
        scope = current.scope_name if current else None
        if scope not in LIBRARY_OF.values():
            return list(self._locations)
        return [loc for loc in self._locations
                if LIBRARY_OF.get(loc, scope) == scope]

    def import_from_location(self):
        if self._imported:
            return
        wanted = self._wanted()
        for loc in wanted:
            import_module(loc)
        if len(wanted) == len(self._locations):
            self._imported = True

    def get(self, key):
        found = super().get(key)
        if found is None and not self._imported:
            for loc in self._locations:  # a type of another library's part
                import_module(loc)
            self._imported = True
            found = super().get(key)
        return found


def _child(name, parent, locations=()):
    return _LibraryAwareRegistry(name, parent=parent, scope='spinemm',
                                 locations=list(locations))


RUNNERS = _child('runner', MMENGINE_RUNNERS)
RUNNER_CONSTRUCTORS = _child('runner constructor',
                             MMENGINE_RUNNER_CONSTRUCTORS)
LOOPS = _child('loop', MMENGINE_LOOPS)
HOOKS = _child('hook', MMENGINE_HOOKS, ['spinemm.engine.hooks'])
DATASETS = _child('dataset', MMENGINE_DATASETS, DATA_PACKAGES)
DATA_SAMPLERS = _child('data sampler', MMENGINE_DATA_SAMPLERS, DATA_PACKAGES)
TRANSFORMS = _child('transform', MMENGINE_TRANSFORMS, DATA_PACKAGES)
MODELS = _child('model', MMENGINE_MODELS, MODEL_PACKAGES)
MODEL_WRAPPERS = _child('model_wrapper', MMENGINE_MODEL_WRAPPERS)
WEIGHT_INITIALIZERS = _child('weight initializer',
                             MMENGINE_WEIGHT_INITIALIZERS)
OPTIMIZERS = _child('optimizer', MMENGINE_OPTIMIZERS)
OPTIM_WRAPPERS = _child('optim_wrapper', MMENGINE_OPTIM_WRAPPERS,
                        ['spinemm.engine.optim_wrappers'])
OPTIM_WRAPPER_CONSTRUCTORS = _child('optimizer wrapper constructor',
                                    MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS)
PARAM_SCHEDULERS = _child('parameter scheduler', MMENGINE_PARAM_SCHEDULERS)
METRICS = _child('metric', MMENGINE_METRICS, MODEL_PACKAGES)
EVALUATOR = _child('evaluator', MMENGINE_EVALUATOR)
TASK_UTILS = _child('task util', MMENGINE_TASK_UTILS)
VISUALIZERS = _child('visualizer', MMENGINE_VISUALIZERS)
VISBACKENDS = _child('vis_backend', MMENGINE_VISBACKENDS)
LOG_PROCESSORS = _child('log_processor', MMENGINE_LOG_PROCESSORS)
INFERENCERS = _child('inferencer', MMENGINE_INFERENCERS)
FUNCTIONS = _child('function', MMENGINE_FUNCTIONS)  # collate functions

#: Every spinemm registry, for tools and tests that walk them.
ALL_REGISTRIES = (RUNNERS, RUNNER_CONSTRUCTORS, LOOPS, HOOKS, DATASETS,
                  DATA_SAMPLERS, TRANSFORMS, MODELS, MODEL_WRAPPERS,
                  WEIGHT_INITIALIZERS, OPTIMIZERS, OPTIM_WRAPPERS,
                  OPTIM_WRAPPER_CONSTRUCTORS, PARAM_SCHEDULERS, METRICS,
                  EVALUATOR, TASK_UTILS, VISUALIZERS, VISBACKENDS,
                  LOG_PROCESSORS, INFERENCERS, FUNCTIONS)
