"""VerSe cases as samples of random 3D patches (the VerSe seed's training)."""
from mmengine.dataset import BaseDataset

from ..formats.verse import index_verse
from ..registry import DATASETS


@DATASETS.register_module()
class VersePatchDataset(BaseDataset):
    """``samples_per_case`` samples per labelled case of ``splits``; the
    pipeline loads the pixels (:class:`LoadVersePatch`), so the dataset
    holds metadata only. Cases without a mask are named in a warning and
    left out; a tree without any labelled case is an error."""

    def __init__(self, data_root, samples_per_case=4, splits=None, **kwargs):
        self.samples_per_case = samples_per_case
        self.splits = splits
        super().__init__(data_root=data_root, **kwargs)

    def load_data_list(self):
        from mmengine.logging import print_log
        cases = [c for c in index_verse(self.data_root)
                 if self.splits is None or c['split'] in self.splits]
        unlabelled = [c['ct'] for c in cases if not c['mask']]
        if unlabelled:
            print_log(f'{len(unlabelled)} case(s) without a vertebra mask '
                      f'left out: {", ".join(unlabelled[:5])}'
                      + (' ...' if len(unlabelled) > 5 else ''),
                      'current', level=30)
        cases = [c for c in cases if c['mask']]
        if not cases:
            raise FileNotFoundError(
                f'no labelled VerSe case under {self.data_root}'
                + (f' in splits {self.splits}' if self.splits else ''))
        return [dict(case=c, sample_idx=i * self.samples_per_case + k)
                for i, c in enumerate(cases)
                for k in range(self.samples_per_case)]
