# mmpose dataset meta of the lateral 4-corner scheme (read with
# metainfo=dict(from_file=...)). Names and order:
# spinemm.anatomy.LATERAL4_KEYPOINT_NAMES. Identity is anatomical (anterior /
# posterior whichever way the patient faces), so a horizontal flip moves the
# points and keeps their names: no keypoint has a swap partner. Sigmas:
# spinemm.anatomy.LATERAL4_OKS_SIGMAS.
dataset_info = dict(
    dataset_name='spinemm_lateral4',
    paper_info=dict(
        author='spinemm',
        title='Four vertebral body corners on lateral films',
        container='spinemm',
        year='2026',
        homepage=''),
    keypoint_info={
        0: dict(name='superior_posterior', id=0, color=[0, 200, 255],
                type='upper', swap=''),
        1: dict(name='superior_anterior', id=1, color=[255, 140, 0],
                type='upper', swap=''),
        2: dict(name='inferior_posterior', id=2, color=[0, 200, 255],
                type='lower', swap=''),
        3: dict(name='inferior_anterior', id=3, color=[255, 140, 0],
                type='lower', swap=''),
    },
    skeleton_info={
        0: dict(link=('superior_posterior', 'superior_anterior'), id=0,
                color=[200, 200, 200]),
        1: dict(link=('superior_anterior', 'inferior_anterior'), id=1,
                color=[200, 200, 200]),
        2: dict(link=('inferior_anterior', 'inferior_posterior'), id=2,
                color=[200, 200, 200]),
        3: dict(link=('inferior_posterior', 'superior_posterior'), id=3,
                color=[200, 200, 200]),
    },
    joint_weights=[1.0, 1.0, 1.0, 1.0],
    sigmas=[0.025, 0.025, 0.025, 0.025])
