"""The ImageNet EfficientNet-Lite0 backbone: weights from the installed
package, every tensor used, and the network recognises a photograph (a wrong
key mapping fails here, not in a week of training)."""
import torch


def test_the_imagenet_weights_load_whole_and_see_a_cat():
    """scikit-image's chelsea.png is a cat: ImageNet class 285 (Egyptian
    cat), p = 0.79 with these weights (input resized to 224 x 224, mean =
    std = 0.5)."""
    import cv2
    from skimage import data

    from spinemm.backbones.efficientnet_lite import (
        imagenet_lite0_classifier, imagenet_lite0_state_dict)
    net = imagenet_lite0_classifier()  # strict: nothing missing/unexpected
    assert len(imagenet_lite0_state_dict(net)) == len(net.state_dict()) \
        == 296
    img = cv2.resize(data.chelsea(), (224, 224),
                     interpolation=cv2.INTER_LINEAR)
    x = torch.from_numpy(img).permute(2, 0, 1).float()[None] / 255.0
    with torch.no_grad():
        p = net((x - 0.5) / 0.5).softmax(-1)[0]
    assert int(p.argmax()) == 285 and float(p[285]) > 0.7, \
        (int(p.argmax()), float(p[285]))


def test_a_wrong_key_mapping_that_loads_strictly_is_caught():
    """The check above is what catches a mapping error that strict loading
    cannot: in an inverted-residual block the BatchNorm after the expansion
    and the one after the depthwise convolution have the same shape, so
    mapping efficientnet_pytorch's ``_bn0`` / ``_bn1`` the wrong way round
    loads every tensor and loses the cat."""
    import re

    import cv2
    import timm
    from skimage import data

    from spinemm.backbones.efficientnet_lite import (
        TIMM_NAME, imagenet_lite0_state_dict)
    net = timm.create_model(TIMM_NAME, pretrained=False)
    good = imagenet_lite0_state_dict(net)
    swapped = {}
    for k, v in good.items():
        m = re.match(r'(blocks\.\d+\.\d+)\.bn([12])\.(.+)$', k)
        if m and f'{m.group(1)}.conv_pwl.weight' in good:  # IR blocks
            k = f'{m.group(1)}.bn{3 - int(m.group(2))}.{m.group(3)}'
        swapped[k] = v
    net.load_state_dict(swapped, strict=True)  # loads without a word
    img = cv2.resize(data.chelsea(), (224, 224))
    x = torch.from_numpy(img).permute(2, 0, 1).float()[None] / 127.5 - 1
    with torch.no_grad():
        p = net.eval()(x).softmax(-1)[0]
    assert float(p[285]) < 0.3, float(p[285])


def test_the_backbone_builds_in_each_library_and_freezes(tmp_path):
    from mmengine.registry import DefaultScope

    from spinemm.backbones import EfficientNetLite0
    for scope in ('mmdet', 'mmpose', 'mmseg'):
        with DefaultScope.overwrite_default_scope(scope):
            import importlib
            registry = importlib.import_module(f'{scope}.registry').MODELS
            net = registry.build(dict(type='spinemm.EfficientNetLite0',
                                      frozen_stages=2, norm_eval=True))
        assert isinstance(net, EfficientNetLite0)
    net.init_weights()  # mmengine's call after construction: weights stay
    ref = EfficientNetLite0()
    for (k, v), (_, w) in zip(net.net.state_dict().items(),
                              ref.net.state_dict().items()):
        assert torch.equal(v, w), k
    outs = net(torch.zeros(2, 3, 128, 96))
    assert [tuple(o.shape) for o in outs] == [
        (2, 24, 32, 24), (2, 40, 16, 12), (2, 112, 8, 6), (2, 320, 4, 3)]
    assert net.channels == (24, 40, 112, 320)
    net.train()
    assert not net.net.conv_stem.weight.requires_grad
    assert not any(p.requires_grad for p in net.net.blocks[1].parameters())
    assert all(p.requires_grad for p in net.net.blocks[2].parameters())
    assert not any(m.training for m in net.modules()
                   if isinstance(m, torch.nn.BatchNorm2d))
    scratch = EfficientNetLite0(pretrained=False)
    assert not torch.equal(scratch.net.conv_stem.weight,
                           ref.net.conv_stem.weight)

