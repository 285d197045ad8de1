"""mmpose modules: the vertebra top-down dataset, head and metrics."""
from .datasets import META_FILE, VertebraPoseDataset
from .heads import VertebraHeatmapHead
from .metrics import VertebraMorphometryMetric

__all__ = ['META_FILE', 'VertebraPoseDataset', 'VertebraHeatmapHead',
           'VertebraMorphometryMetric']
