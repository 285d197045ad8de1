"""spinemm-mmcv-ext: ``mmcv._ext`` from torchvision for mmcv-lite.

    pip install packages/spinemm-mmcv-ext

installs the package and ``spinemm_mmcv_ext.pth`` into site-packages (the
.pth registers the import hook at interpreter start-up; see the package
docstring). Uninstalling removes both.
"""
import os.path as osp

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithPth(build_py):
    """Also put the .pth into the wheel's purelib (site-packages)."""

    def run(self):
        super().run()
        self.copy_file(osp.join(osp.dirname(osp.abspath(__file__)),
                                'spinemm_mmcv_ext.pth'),
                       osp.join(self.build_lib, 'spinemm_mmcv_ext.pth'))


setup(
    name='spinemm-mmcv-ext',
    version='0.1.0',
    description="mmcv._ext (roi_align, nms) from torchvision for mmcv-lite",
    packages=['spinemm_mmcv_ext'],
    cmdclass=dict(build_py=BuildWithPth),
    python_requires='>=3.9',
)
