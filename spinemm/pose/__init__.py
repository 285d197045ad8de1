"""mmpose modules: the vertebra top-down dataset, head and metrics."""
from .aasce import AASCE_META_FILE, AasceMetric, AasceSpineDataset
from .datasets import META_FILE, VertebraPoseDataset
from .heads import VertebraHeatmapHead
from .metrics import VertebraMorphometryMetric

__all__ = ['AASCE_META_FILE', 'AasceMetric', 'AasceSpineDataset',
           'META_FILE', 'VertebraPoseDataset', 'VertebraHeatmapHead',
           'VertebraMorphometryMetric']
