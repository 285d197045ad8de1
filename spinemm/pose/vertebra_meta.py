# mmpose dataset meta of the six vertebral keypoints (read with
# metainfo=dict(from_file=...)). Names and order: spinemm.anatomy
# .KEYPOINT_NAMES. Identity is anatomical: `*_left` is anterior whichever
# way the patient faces, so a horizontal flip moves the points and keeps
# their names -- no keypoint has a swap partner (flip_indices is the
# identity). Sigmas: spinemm.anatomy.OKS_SIGMAS (a test keeps them equal).
dataset_info = dict(
    dataset_name='spinemm_vertebra',
    paper_info=dict(
        author='spinemm',
        title='Six vertebral body keypoints (SpineTK naming)',
        container='spinemm',
        year='2026',
        homepage='https://github.com/abhisuri97/SpineTK'),
    keypoint_info={
        0: dict(name='bottom_left', id=0, color=[255, 140, 0], type='lower',
                swap=''),
        1: dict(name='bottom_middle', id=1, color=[255, 230, 0],
                type='lower', swap=''),
        2: dict(name='bottom_right', id=2, color=[0, 200, 255], type='lower',
                swap=''),
        3: dict(name='top_right', id=3, color=[0, 200, 255], type='upper',
                swap=''),
        4: dict(name='top_middle', id=4, color=[255, 230, 0], type='upper',
                swap=''),
        5: dict(name='top_left', id=5, color=[255, 140, 0], type='upper',
                swap=''),
    },
    skeleton_info={
        0: dict(link=('bottom_left', 'bottom_middle'), id=0,
                color=[200, 200, 200]),
        1: dict(link=('bottom_middle', 'bottom_right'), id=1,
                color=[200, 200, 200]),
        2: dict(link=('bottom_right', 'top_right'), id=2,
                color=[200, 200, 200]),
        3: dict(link=('top_right', 'top_middle'), id=3,
                color=[200, 200, 200]),
        4: dict(link=('top_middle', 'top_left'), id=4,
                color=[200, 200, 200]),
        5: dict(link=('top_left', 'bottom_left'), id=5,
                color=[200, 200, 200]),
    },
    joint_weights=[1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
    sigmas=[0.025, 0.035, 0.025, 0.025, 0.035, 0.025])
