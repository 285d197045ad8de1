"""A small V-Net style 2D encoder-decoder (Milletari et al. 2016 in 2D):
residual conv stages with PReLU, strided-conv downsampling, transposed-conv
upsampling, skip connections by concatenation, dropout in the deeper
stages (Dourthe's code uses 0.3). V-Net uses 5x5 convolutions
(``kernel_size``)."""
import torch
import torch.nn as nn


class ResStage(nn.Module):

    def __init__(self, in_ch, out_ch, num_convs, dropout=0.0, kernel_size=5):
        super().__init__()
        layers = []
        for i in range(num_convs):
            layers += [nn.Conv2d(in_ch if i == 0 else out_ch, out_ch,
                                 kernel_size, padding=kernel_size // 2),
                       nn.BatchNorm2d(out_ch), nn.PReLU(out_ch)]
        self.convs = nn.Sequential(*layers)
        self.skip = nn.Conv2d(in_ch, out_ch, 1) if in_ch != out_ch \
            else nn.Identity()
        self.drop = nn.Dropout2d(dropout) if dropout else nn.Identity()

    def forward(self, x):
        return self.drop(self.convs(x) + self.skip(x))


class VNet2d(nn.Module):
    """``in_channels`` -> ``num_classes`` logits at the input resolution
    (the input side must be divisible by 2 ** (len(channels) - 1))."""

    def __init__(self, in_channels, num_classes, channels=(16, 32, 64, 128),
                 dropout=0.3, kernel_size=5):
        super().__init__()
        self.down_stages = nn.ModuleList()
        self.downs = nn.ModuleList()
        prev = in_channels
        for i, ch in enumerate(channels):
            self.down_stages.append(ResStage(prev, ch, min(i + 1, 3),
                                             dropout if i >= 2 else 0.0,
                                             kernel_size))
            if i < len(channels) - 1:
                self.downs.append(nn.Sequential(
                    nn.Conv2d(ch, ch, 2, stride=2), nn.PReLU(ch)))
            prev = ch
        self.ups = nn.ModuleList()
        self.up_stages = nn.ModuleList()
        for i in range(len(channels) - 1, 0, -1):
            self.ups.append(nn.Sequential(
                nn.ConvTranspose2d(channels[i], channels[i - 1], 2, stride=2),
                nn.PReLU(channels[i - 1])))
            self.up_stages.append(ResStage(2 * channels[i - 1],
                                           channels[i - 1], min(i, 3),
                                           dropout if i >= 2 else 0.0,
                                           kernel_size))
        self.head = nn.Conv2d(channels[0], num_classes, 1)

    def forward(self, x):
        skips = []
        for i, stage in enumerate(self.down_stages):
            x = stage(x)
            if i < len(self.downs):
                skips.append(x)
                x = self.downs[i](x)
        for up, stage in zip(self.ups, self.up_stages):
            x = up(x)
            x = stage(torch.cat([x, skips.pop()], 1))
        return self.head(x)
