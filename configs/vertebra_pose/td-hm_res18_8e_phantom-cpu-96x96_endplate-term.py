# Ablation: the heatmap head plus the endplate-consistency term (weight
# 0.001). On the phantoms it did worse than the plain head (README).
_base_ = './td-hm_res18_8e_phantom-cpu-96x96.py'

model = dict(head=dict(geometric_weight=0.001))
