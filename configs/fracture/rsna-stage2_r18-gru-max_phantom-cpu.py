# Ablation: patient_overall is the maximum of the seven vertebra logits
# (no learned patient head).
_base_ = './rsna-stage2_r18-gru_phantom-cpu.py'
model = dict(patient_head='max')
