# mmpose dataset meta of a whole AP spine: 17 vertebrae (T1-L5) x the four
# corners of spinemm.anatomy.AP_KEYPOINT_NAMES = 68 keypoints, named
# '<level>_<corner>' in AASCE order (T1 first; per vertebra superior right,
# superior left, inferior right, inferior left = image top-left, top-right,
# bottom-left, bottom-right). Unlike the lateral meta, right and left are the
# patient's, so a horizontal flip swaps each vertebra's right and left
# corners: every keypoint has a swap partner (spinemm.anatomy.AP_FLIP_PAIRS).
# Read with metainfo=dict(from_file=...); kept as plain literals built by
# the loop below so that mmengine's Config can read it.
_levels = ['T1', 'T2', 'T3', 'T4', 'T5', 'T6', 'T7', 'T8', 'T9', 'T10',
           'T11', 'T12', 'L1', 'L2', 'L3', 'L4', 'L5']
_corners = ['superior_right', 'superior_left', 'inferior_right',
            'inferior_left']
_swap = {'superior_right': 'superior_left', 'superior_left': 'superior_right',
         'inferior_right': 'inferior_left', 'inferior_left': 'inferior_right'}
_names = [f'{lv}_{c}' for lv in _levels for c in _corners]
dataset_info = dict(
    dataset_name='spinemm_aasce_spine',
    paper_info=dict(
        author='Wu H, Bailey C, Rasoulinejad P, Li S',
        title='Automatic landmark estimation for adolescent idiopathic '
        'scoliosis assessment using BoostNet',
        container='MICCAI',
        year='2017',
        homepage='http://spineweb.digitalimaginggroup.ca/'),
    keypoint_info={
        i: dict(name=n, id=i,
                color=[255, 140, 0] if 'right' in n else [0, 200, 255],
                type='upper' if n.split('_')[0].startswith('T') else 'lower',
                swap=n.split('_')[0] + '_' + _swap[n.split('_', 1)[1]])
        for i, n in enumerate(_names)
    },
    skeleton_info={
        k: dict(link=(f'{lv}_{a}', f'{lv}_{b}'), id=k, color=[200, 200, 200])
        for k, (lv, (a, b)) in enumerate(
            (lv, pair) for lv in _levels
            for pair in (('superior_right', 'superior_left'),
                         ('superior_left', 'inferior_left'),
                         ('inferior_left', 'inferior_right'),
                         ('inferior_right', 'superior_right')))
    },
    joint_weights=[1.0] * 68,
    sigmas=[0.025] * 68)
