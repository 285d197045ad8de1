# Ablation: attention pooling over each vertebra's sequence instead of the GRU.
_base_ = './rsna-stage2_r18-gru_phantom-cpu.py'
model = dict(temporal='attention')
