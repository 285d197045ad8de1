"""spinemm: spine imaging on the OpenMMLab stack.

Install with ``make env`` (or ``bash tools/misc/setup_env.sh``), which installs
the pinned OpenMMLab releases first; ``pip install -e .`` alone assumes they
are there. Configs are shipped mim-style under ``spinemm/.mim/configs`` so that
other projects can inherit them as ``spinemm::quickstart/...``.
"""
import os
import os.path as osp
import shutil

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def read_requirements(name):
    with open(osp.join(HERE, 'requirements', name)) as f:
        return [
            line.split('#')[0].strip() for line in f
            if line.split('#')[0].strip()
        ]


def version():
    scope = {}
    with open(osp.join(HERE, 'spinemm', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


def add_mim_extension():
    """Fill ``spinemm/.mim/`` (links in develop mode, copies otherwise).

    mmengine finds ``spinemm::path/to/config.py`` under ``.mim/configs`` after
    reading ``.mim/model-index.yml``; mim reads the same files.
    """
    import sys
    mode = 'symlink' if 'develop' in sys.argv or 'editable_wheel' in \
        sys.argv else 'copy'
    mim_dir = osp.join(HERE, 'spinemm', '.mim')
    os.makedirs(mim_dir, exist_ok=True)
    for name in ('configs', 'model-index.yml'):
        target = osp.join(mim_dir, name)
        if osp.islink(target) or osp.isfile(target):
            os.remove(target)
        elif osp.isdir(target):
            shutil.rmtree(target)
        source = osp.join(HERE, name)
        if mode == 'symlink':
            os.symlink(osp.relpath(source, mim_dir), target)
        elif osp.isdir(source):
            shutil.copytree(source, target)
        else:
            shutil.copyfile(source, target)


if __name__ == '__main__':
    add_mim_extension()
    setup(
        name='spinemm',
        version=version(),
        description='Spine imaging toolkit on OpenMMLab: vertebra detection, '
        'keypoints, morphometry, segmentation and fracture classification',
        long_description=open(osp.join(HERE, 'README.md')).read(),
        long_description_content_type='text/markdown',
        license='Apache License 2.0',
        python_requires='>=3.11',  # numpy 2.4 (constraints.txt) needs 3.11
        packages=find_packages(exclude=('configs', 'tools', 'tests', 'data')),
        include_package_data=True,
        package_data={
            'spinemm': ['.mim/model-index.yml', '.mim/configs/**/*.py',
                        '.mim/configs/**/*.yml']
        },
        install_requires=read_requirements('runtime.txt'),
        extras_require={
            'tests': read_requirements('tests.txt'),
            'mim': read_requirements('mminstall.txt'),
        },
        zip_safe=False)
