"""mmdet modules of spinemm (registered into :mod:`spinemm.registry`)."""
from .datasets import *  # noqa: F401,F403
from .models import *  # noqa: F401,F403
from .transforms import *  # noqa: F401,F403
from .metrics import *  # noqa: F401,F403
