"""SegFormer3D (Perera, Navard and Yilmaz, "SegFormer3D: an Efficient
Transformer for 3D Medical Image Segmentation", CVPR Workshops 2024).

A 4-stage hierarchical transformer encoder - overlapping 3D patch embeddings
(stride 4, 2, 2, 2), efficient self-attention whose keys and values are
reduced by a strided convolution (ratios 4, 2, 1, 1), Mix-FFN (a depthwise
3x3x3 convolution between its two linear layers) - and an all-MLP decoder
that projects every stage to one width, upsamples them to 1/4 resolution,
fuses them and predicts, then upsamples x4. The paper's defaults: widths
(32, 64, 160, 256), depths 2, heads (1, 2, 5, 8), decoder width 256 (4.5 M
parameters). Written here from the paper (MONAI has no SegFormer3D).
"""
import torch
import torch.nn.functional as F
from torch import nn

from ..registry import MODELS


class PatchEmbed3D(nn.Module):

    def __init__(self, in_channels, dim, kernel, stride):
        super().__init__()
        self.proj = nn.Conv3d(in_channels, dim, kernel, stride, kernel // 2)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x):
        x = self.proj(x)
        shape = x.shape[2:]
        return self.norm(x.flatten(2).transpose(1, 2)), shape


class EfficientAttention3D(nn.Module):

    def __init__(self, dim, heads, sr_ratio):
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(dim, dim)
        self.kv = nn.Linear(dim, 2 * dim)
        self.proj = nn.Linear(dim, dim)
        self.sr = nn.Conv3d(dim, dim, sr_ratio, sr_ratio) \
            if sr_ratio > 1 else None
        self.norm = nn.LayerNorm(dim) if sr_ratio > 1 else None

    def forward(self, x, shape):
        b, n, c = x.shape
        h = self.heads
        q = self.q(x).reshape(b, n, h, c // h).transpose(1, 2)
        if self.sr is not None:
            y = x.transpose(1, 2).reshape(b, c, *shape)
            y = self.norm(self.sr(y).flatten(2).transpose(1, 2))
        else:
            y = x
        k, v = self.kv(y).reshape(b, -1, 2, h, c // h).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(q, k, v)
        return self.proj(out.transpose(1, 2).reshape(b, n, c))


class MixFFN3D(nn.Module):

    def __init__(self, dim, ratio=4):
        super().__init__()
        hidden = dim * ratio
        self.fc1 = nn.Linear(dim, hidden)
        self.dw = nn.Conv3d(hidden, hidden, 3, 1, 1, groups=hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x, shape):
        x = self.fc1(x)
        b, n, c = x.shape
        x = self.dw(x.transpose(1, 2).reshape(b, c, *shape))
        return self.fc2(F.gelu(x.flatten(2).transpose(1, 2)))


class Block3D(nn.Module):

    def __init__(self, dim, heads, sr_ratio, mlp_ratio):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = EfficientAttention3D(dim, heads, sr_ratio)
        self.norm2 = nn.LayerNorm(dim)
        self.ffn = MixFFN3D(dim, mlp_ratio)

    def forward(self, x, shape):
        x = x + self.attn(self.norm1(x), shape)
        return x + self.ffn(self.norm2(x), shape)


@MODELS.register_module()
class SegFormer3D(nn.Module):
    """``SegFormer3D(in_channels, out_channels)``: (B, C, D, H, W) ->
    (B, out_channels, D, H, W) logits; every side must be divisible by 32
    (4 x 2 x 2 x 2)."""

    def __init__(self, in_channels=1, out_channels=2,
                 embed_dims=(32, 64, 160, 256), depths=(2, 2, 2, 2),
                 heads=(1, 2, 5, 8), sr_ratios=(4, 2, 1, 1), mlp_ratio=4,
                 decoder_dim=256, dropout=0.0):
        super().__init__()
        self.embeds = nn.ModuleList()
        self.stages = nn.ModuleList()
        self.norms = nn.ModuleList()
        prev = in_channels
        for i, dim in enumerate(embed_dims):
            kernel, stride = (7, 4) if i == 0 else (3, 2)
            self.embeds.append(PatchEmbed3D(prev, dim, kernel, stride))
            self.stages.append(nn.ModuleList(
                Block3D(dim, heads[i], sr_ratios[i], mlp_ratio)
                for _ in range(depths[i])))
            self.norms.append(nn.LayerNorm(dim))
            prev = dim
        self.project = nn.ModuleList(nn.Linear(d, decoder_dim)
                                     for d in embed_dims)
        self.fuse = nn.Sequential(
            nn.Conv3d(len(embed_dims) * decoder_dim, decoder_dim, 1,
                      bias=False),
            nn.BatchNorm3d(decoder_dim), nn.ReLU(inplace=True),
            nn.Dropout(dropout))
        self.classify = nn.Conv3d(decoder_dim, out_channels, 1)

    def forward(self, x):
        size = x.shape[2:]
        if any(s % 32 for s in size):
            raise ValueError(f'SegFormer3D needs sides divisible by 32, got '
                             f'{tuple(size)}')
        feats = []
        for embed, blocks, norm in zip(self.embeds, self.stages, self.norms):
            x, shape = embed(x)
            for blk in blocks:
                x = blk(x, shape)
            x = norm(x)
            b, n, c = x.shape
            x = x.transpose(1, 2).reshape(b, c, *shape)
            feats.append(x)
        top = feats[0].shape[2:]
        ups = []
        for f, proj in zip(feats, self.project):
            y = proj(f.flatten(2).transpose(1, 2)).transpose(1, 2)
            y = y.reshape(f.shape[0], -1, *f.shape[2:])
            ups.append(F.interpolate(y, size=top, mode='trilinear',
                                     align_corners=False))
        out = self.classify(self.fuse(torch.cat(ups[::-1], 1)))
        return F.interpolate(out, size=size, mode='trilinear',
                             align_corners=False)
