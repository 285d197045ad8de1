# SegFormer3D (Perera et al., CVPRW 2024; spinemm.volume3d.segformer3d) at
# half the paper's widths for the CPU budget: patches multiples of 32.
_base_ = ['./unet3d_verse-phantom-levels-64_cpu.py']
model = dict(network=dict(_delete_=True, type='SegFormer3D', in_channels=1,
                          out_channels={{_base_.num_classes}},
                          embed_dims=(16, 32, 80, 128), heads=(1, 2, 5, 8),
                          decoder_dim=128))
