from .dice_loss import DourtheDiceLoss, PresentClassDiceLoss, dourthe_dice
from .pyramid_segmentor import PyramidSegmentor
from .vnet import VNet2d

__all__ = ['DourtheDiceLoss', 'PresentClassDiceLoss', 'dourthe_dice', 'PyramidSegmentor', 'VNet2d']
