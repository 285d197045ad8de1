# Ablation: the plain heatmap head (no endplate-consistency term).
_base_ = './td-hm_res18_8e_phantom-cpu-96x96.py'

model = dict(head=dict(geometric_weight=0.0))
