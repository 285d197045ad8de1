# mmpose dataset meta of one vertebra's 4 corners on an AP film (read with
# metainfo=dict(from_file=...)): the per-vertebra json of
# tools/dataset_converters/aasce2coco.py. Names and order:
# spinemm.anatomy.AP_KEYPOINT_NAMES. The patient's right is the image's left
# on an AP film, so a horizontal flip swaps right and left: each corner has
# its swap partner (as in aasce_meta.py, the whole-spine scheme). Sigmas:
# spinemm.anatomy.AP_OKS_SIGMAS.
dataset_info = dict(
    dataset_name='spinemm_ap4',
    paper_info=dict(
        author='spinemm',
        title='Four vertebral body corners on AP films',
        container='spinemm',
        year='2026',
        homepage=''),
    keypoint_info={
        0: dict(name='superior_right', id=0, color=[0, 200, 255],
                type='upper', swap='superior_left'),
        1: dict(name='superior_left', id=1, color=[255, 140, 0],
                type='upper', swap='superior_right'),
        2: dict(name='inferior_right', id=2, color=[0, 200, 255],
                type='lower', swap='inferior_left'),
        3: dict(name='inferior_left', id=3, color=[255, 140, 0],
                type='lower', swap='inferior_right'),
    },
    skeleton_info={
        0: dict(link=('superior_right', 'superior_left'), id=0,
                color=[200, 200, 200]),
        1: dict(link=('superior_left', 'inferior_left'), id=1,
                color=[200, 200, 200]),
        2: dict(link=('inferior_left', 'inferior_right'), id=2,
                color=[200, 200, 200]),
        3: dict(link=('inferior_right', 'superior_right'), id=3,
                color=[200, 200, 200]),
    },
    joint_weights=[1.0, 1.0, 1.0, 1.0],
    sigmas=[0.025, 0.025, 0.025, 0.025])
