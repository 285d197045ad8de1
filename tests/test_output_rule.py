"""The output rule (issue 25): a tool replaces a file only if spinemm wrote
it; every name of a run is checked before any compute; names never collide;
what a killed run left half-done is swept. Each writing tool is run against
a folder holding a user's file of a name it would write: it must stop,
name the file, and leave it (and the folder) as it was."""
import json
import os
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest

from conftest import QUICKSTART_CFG as QUICKSTART
from conftest import REAL, ROOT, listed, needs_real, run_tool
from spinemm.utils import (MANIFEST, OutputCollisionError, OutputExistsError,
                           OutputOverlapError, OutputPlan, atomic_file,
                           atomic_write_json, spinemm_wrote)
from spinemm.utils.paths import distinct_stems

STAGE1 = osp.join(ROOT, 'configs', 'fracture',
                  'rsna-stage1_r18-2.5d_phantom-cpu.py')


def _user_file(path, text='the user\'s own file'):
    os.makedirs(osp.dirname(str(path)), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)
    return str(path), text


def _intact(mine):
    path, text = mine
    with open(path) as f:
        return f.read() == text


# --- the rule itself ---------------------------------------------------------

def test_a_file_spinemm_did_not_write_is_never_replaced(tmp_path):
    mine = _user_file(tmp_path / 'a.json')
    with pytest.raises(OutputExistsError, match='a.json exists and spinemm '
                       'did not write it'):
        atomic_write_json(mine[0], {'x': 1})
    assert _intact(mine)
    assert listed(tmp_path) == ['a.json']  # no temporary left
    atomic_write_json(mine[0], {'x': 1}, overwrite=True)  # --overwrite
    assert json.loads(open(mine[0]).read()) == {'x': 1}
    assert spinemm_wrote(mine[0])
    atomic_write_json(mine[0], {'x': 2})  # now spinemm's: a rerun may
    assert json.loads(open(mine[0]).read()) == {'x': 2}


def test_a_file_changed_after_spinemm_wrote_it_is_the_users(tmp_path):
    path = str(tmp_path / 'r.csv')
    with atomic_file(path, '.csv') as tmp, open(tmp, 'w') as f:
        f.write('a,b\n')
    assert spinemm_wrote(path)
    with open(path, 'a') as f:  # the user edits it
        f.write('my notes\n')
    assert not spinemm_wrote(path)
    with pytest.raises(OutputExistsError):
        with atomic_file(path, '.csv') as tmp:
            pass
    # a file the user copied over spinemm's (same name, own bytes)
    other = str(tmp_path / 'q.png')
    with atomic_file(other, '.png') as tmp:
        cv2.imwrite(tmp, np.zeros((4, 4), np.uint8))
    shutil.copy(path, other)
    assert not spinemm_wrote(other)


def test_a_plan_checks_every_name_before_anything_is_written(tmp_path):
    mine = _user_file(tmp_path / 'out' / 'c.png')
    plan = OutputPlan(False, [], [tmp_path / 'out' / n
                                  for n in ('a.png', 'b.png', 'c.png')])
    with pytest.raises(OutputExistsError, match='c.png'):
        plan.check()
    assert listed(tmp_path / 'out') == ['c.png'] and _intact(mine)
    # with overwrite the planned files may be replaced, by any writer
    OutputPlan(True, [], [mine[0]]).check()
    with atomic_file(mine[0], '.png') as tmp:
        cv2.imwrite(tmp, np.zeros((4, 4), np.uint8))
    assert spinemm_wrote(mine[0])


def test_names_of_one_run_never_collide_even_up_to_case(tmp_path):
    plan = OutputPlan()
    plan.add(tmp_path / 'Scan.png')
    with pytest.raises(OutputCollisionError, match='named alike'):
        plan.add(tmp_path / 'scan.PNG')
    # x.png's overlay and x_overlay.png's class map were one name
    sufs = ('.png', '.npy', '_overlay.png')
    stems = distinct_stems(['d/x.png', 'd/x_overlay.png'], sufs)
    names = [s + suf for s in stems for suf in sufs]
    assert len({n.lower() for n in names}) == 6, names
    # a.nii and a.nii.gz, A.png and a.png (case-insensitive file systems)
    assert len({s.lower() for s in distinct_stems(['a.nii', 'a.nii.gz'])}) \
        == 2
    assert len({s.lower() for s in distinct_stems(['d/A.png', 'd/a.png'])}) \
        == 2


def test_no_output_may_lie_in_an_input_even_with_overwrite(tmp_path):
    src = tmp_path / 'train_images' / 'uid'
    src.mkdir(parents=True)
    mine = _user_file(src / '1.dcm', 'a slice')
    with pytest.raises(OutputOverlapError):
        OutputPlan(True, [str(tmp_path / 'train_images')],
                   [mine[0]]).check()
    assert _intact(mine)


def test_temporaries_of_a_killed_run_are_swept(tmp_path):
    import subprocess
    dead = subprocess.Popen(['true'])
    dead.wait()
    stale = tmp_path / f'.a.png.spinemm-tmp-{dead.pid}.x1y2.png'
    stale.write_bytes(b'half a png')
    live = tmp_path / f'.b.png.spinemm-tmp-{os.getpid()}.z3.png'
    live.write_bytes(b'being written')
    OutputPlan(False, [], [tmp_path / 'a.png']).check()
    assert not stale.exists() and live.exists()


def test_the_manifest_survives_two_writers_in_one_folder(tmp_path):
    """Two processes writing into one folder at once: every file of both is
    recorded (one appended line each), and a line a crash cut short is
    skipped, not fatal."""
    import subprocess
    import sys
    code = ('import sys\n'
            'from spinemm.utils import atomic_write_json\n'
            'for i in range(60):\n'
            '    atomic_write_json(f"{sys.argv[1]}/{sys.argv[2]}{i}.json", i)\n')
    procs = [subprocess.Popen([sys.executable, '-c', code, str(tmp_path), w])
             for w in ('a', 'b')]
    assert [p.wait() for p in procs] == [0, 0]
    names = [f'{w}{i}.json' for w in 'ab' for i in range(60)]
    assert all(spinemm_wrote(str(tmp_path / n)) for n in names)
    assert len((tmp_path / MANIFEST).read_text().splitlines()) == 120
    with open(tmp_path / MANIFEST, 'a') as f:
        f.write('["c.json", 12')  # a write cut short by a crash
    assert spinemm_wrote(str(tmp_path / 'a0.json'))


# --- every writing tool, against a user's file of a name it writes ------------

def _png(path, size=96, value=100):
    os.makedirs(osp.dirname(str(path)), exist_ok=True)
    cv2.imwrite(str(path), np.full((size, size), value, np.uint8))


def _refused(proc, mine, folder=None, before=None):
    """The tool stopped with an error naming the file, the file is intact
    and nothing was added to the folder."""
    assert proc.returncode != 0, proc.stdout[-2000:]
    assert mine[0] in proc.stderr and 'spinemm did not write' in \
        proc.stderr, proc.stderr[-3000:]
    assert 'Traceback' not in proc.stderr, proc.stderr[-3000:]
    assert _intact(mine)
    if folder is not None:
        assert listed(folder) == before


def test_seg_infer_never_replaces_the_users_label_maps(tmp_path):
    """Issue 25 case 1: --out-dir LABELS, the user's ground truth with the
    images' stems: 0.png..2.png were replaced by predictions."""
    images, labels = tmp_path / 'images', tmp_path / 'labels'
    for i in range(3):
        _png(images / f'{i}.png')
    mine = _user_file(labels / '0.png', 'ground truth')
    for i in (1, 2):
        _user_file(labels / f'{i}.png', 'ground truth')
    proc = run_tool(['python', 'tools/seg_infer.py', 'c.py', 'c.pth',
                     str(images), '--out-dir', str(labels)])
    _refused(proc, mine, labels, ['0.png', '1.png', '2.png'])


@pytest.mark.parametrize('tool,name', [
    ('tools/infer.py', '0.json'), ('tools/infer.py', '0.png'),
])
def test_infer_never_replaces_a_users_file(tmp_path, tool, name):
    _png(tmp_path / 'images' / '0.png')
    mine = _user_file(tmp_path / 'out' / name)
    proc = run_tool(['python', tool, 'c.py', 'c.pth',
                     str(tmp_path / 'images'), '--out-dir',
                     str(tmp_path / 'out')])
    _refused(proc, mine, tmp_path / 'out', [name])


@pytest.mark.parametrize('name', ['0.csv', '0.png', '0.json'])
def test_report_never_replaces_a_users_file(tmp_path, name):
    _png(tmp_path / 'films' / '0.png')
    mine = _user_file(tmp_path / 'out' / name)
    for view in (['--det-config', 'c.py', '--det-checkpoint', 'c.pth'],
                 ['--view', 'ap', '--ap-config', 'c.py', '--ap-checkpoint',
                  'c.pth']):
        proc = run_tool(['python', 'tools/report.py',
                         str(tmp_path / 'films'), '--out-dir',
                         str(tmp_path / 'out')] + view)
        _refused(proc, mine, tmp_path / 'out', [name])


def _verse_root(tmp_path):
    """A VerSe 2020 layout with one CT and its truth."""
    from spinemm.io import Volume, write_nifti
    root = tmp_path / 'verse'
    ct = root / 'rawdata' / 'sub-a' / 'sub-a_ct.nii.gz'
    gt = root / 'derivatives' / 'sub-a' / 'sub-a_seg-vert_msk.nii.gz'
    os.makedirs(ct.parent)
    os.makedirs(gt.parent)
    rng = np.random.RandomState(0)
    write_nifti(Volume(rng.randint(-1000, 1500, (20, 20, 20)).astype(
        np.int16), np.eye(4)), str(ct))
    shutil.copy(ct, gt)  # stands for the truth: only its bytes matter here
    return root, ct, gt


def test_verse_infer_never_replaces_the_verse_truth(tmp_path):
    """Issue 25 case 3: --out-dir the subject's derivatives folder."""
    root, ct, gt = _verse_root(tmp_path)
    before = gt.read_bytes()
    proc = run_tool(['python', 'tools/verse_infer.py', 'c.py', 'c.pth',
                     str(ct), '--out-dir', str(gt.parent)])
    assert proc.returncode != 0 and str(gt) in proc.stderr, proc.stderr
    assert 'spinemm did not write' in proc.stderr
    assert gt.read_bytes() == before
    assert listed(gt.parent) == [gt.name]


def test_rsna_prepare_never_replaces_the_users_folds(rsna_phantom_root,
                                                     tmp_path):
    """Issue 25 case 4: default output = ROOT holding the user's own
    train_folds.csv; --out inside train_images/ writes into the input."""
    root = tmp_path / 'rsna'
    shutil.copytree(rsna_phantom_root, root, ignore=shutil.ignore_patterns(
        'truth_masks', MANIFEST))
    mine = _user_file(root / 'train_folds.csv', 'my folds')
    os.remove(root / 'slice_ratios.csv')
    proc = run_tool(['python', 'tools/dataset_converters/rsna_prepare.py',
                     str(root)])
    _refused(proc, mine)
    assert not (root / 'slice_ratios.csv').exists()
    inside = root / 'train_images' / 'prepared'
    proc = run_tool(['python', 'tools/dataset_converters/rsna_prepare.py',
                     str(root), '--out', str(inside), '--overwrite'])
    assert proc.returncode != 0 and 'inside the input' in proc.stderr
    assert not inside.exists()


def test_fracture_stage1_infer_never_writes_over_an_input_slice(
        rsna_phantom_root, tmp_path):
    """Issue 25 case 4: --out train_images/<uid>/1.dcm --overwrite
    replaced an input slice (this tool checked no input)."""
    uid = sorted(os.listdir(osp.join(rsna_phantom_root, 'train_images')))[0]
    slice_ = osp.join(rsna_phantom_root, 'train_images', uid, '1.dcm')
    before = open(slice_, 'rb').read()
    proc = run_tool(['python', 'tools/fracture_stage1_infer.py', STAGE1,
                     'c.pth', rsna_phantom_root, '--out', slice_,
                     '--overwrite'])
    assert proc.returncode != 0 and 'inside the input' in proc.stderr, \
        proc.stderr[-2000:]
    assert open(slice_, 'rb').read() == before
    mine = _user_file(tmp_path / 'ratios.csv', 'my ratios')
    proc = run_tool(['python', 'tools/fracture_stage1_infer.py', STAGE1,
                     'c.pth', rsna_phantom_root, '--out', mine[0]])
    _refused(proc, mine)


@needs_real
def test_dicom2png_never_replaces_a_users_png(tmp_path):
    src = osp.join(REAL, 'totalseg_ct', 'example_ct_dicom')
    name = sorted(os.listdir(src))[3] + '.png'
    mine = _user_file(tmp_path / 'png' / name)
    proc = run_tool(['python', 'tools/dataset_converters/dicom2png.py', src,
                     str(tmp_path / 'png')])
    _refused(proc, mine, tmp_path / 'png', [name])


def test_pytorch2onnx_never_replaces_a_users_file(tmp_path):
    mine = _user_file(tmp_path / 'model.onnx')
    proc = run_tool(['python', 'tools/deployment/pytorch2onnx.py', 'c.py',
                     'c.pth', '--out', mine[0]])
    _refused(proc, mine, tmp_path, ['model.onnx'])


def test_eval_verse_never_replaces_a_users_csv(tmp_path):
    root, ct, gt = _verse_root(tmp_path)
    mine = _user_file(tmp_path / 'scores.csv')
    proc = run_tool(['python', 'tools/analysis_tools/eval_verse.py',
                     str(tmp_path), str(root), '--out', mine[0]])
    _refused(proc, mine)


def test_test_py_never_replaces_a_users_pickle(phantom_root, tmp_path):
    mine = _user_file(tmp_path / 'preds.pkl')
    proc = run_tool(['python', 'tools/test.py', QUICKSTART, 'c.pth',
                     '--out', mine[0], '--work-dir', str(tmp_path / 'w'),
                     '--cfg-options',
                     f'test_dataloader.dataset.data_root={phantom_root}/',
                     f'test_evaluator.ann_file={phantom_root}/annotations/'
                     'val.json'])
    _refused(proc, mine)


def test_browse_dataset_never_replaces_a_users_picture(phantom_root,
                                                       tmp_path):
    out = tmp_path / 'browse'
    mine = _user_file(out / 'batch.png')
    proc = run_tool(['python', 'tools/analysis_tools/browse_dataset.py',
                     QUICKSTART, '--data-root', phantom_root + '/',
                     '--out-dir', str(out), '-n', '2'])
    _refused(proc, mine, out, ['batch.png'])


@needs_real
def test_eval_aasce_never_replaces_a_users_json(tmp_path):
    mine = _user_file(tmp_path / 'aasce.json')
    proc = run_tool(['python', 'tools/analysis_tools/eval_aasce.py', 'c.py',
                     'c.pth', osp.join(REAL, 'aasce_train'), '--out',
                     mine[0]])
    _refused(proc, mine)


def test_verse_infer_lists_cts_apart_from_masks_and_names_them_apart(
        tmp_path):
    """Issue 25 case 7: a.nii + a.nii.gz both wrote a_seg-vert_msk.nii.gz;
    a folder holding a CT and its mask segmented the mask as a CT."""
    from spinemm.apis.inputs import list_cts
    for name in ('a.nii', 'a.nii.gz', 'b_ct.nii.gz', 'b_seg-vert_msk.nii.gz',
                 'c_mask.nii.gz'):
        (tmp_path / name).write_bytes(b'')
    got = list_cts(str(tmp_path))
    assert [osp.basename(p) for _, p in got] == ['a.nii', 'a.nii.gz',
                                                 'b_ct.nii.gz']
    stems = [s for s, _ in got]
    assert len({s.lower() for s in stems}) == 3 and stems[2] == 'b'


@pytest.mark.parametrize('tool', ['verse2coco', 'verse2seg', 'aasce2coco',
                                  'lateral2coco', 'make_phantoms',
                                  'fracture_infer'])
def test_folder_writing_tools_never_touch_a_folder_holding_a_users_file(
        tool, verse_phantom_root, rsna_phantom_root, tmp_path):
    """The converters write whole folders (utils.atomic_dir): a folder that
    holds a file spinemm did not write is refused, --overwrite or not."""
    out = tmp_path / 'out'
    mine = _user_file(out / 'notes.txt')
    lateral = osp.join(REAL, 'lateral_fullspine')
    args = {
        'verse2coco': ['tools/dataset_converters/verse2coco.py',
                       verse_phantom_root, str(out)],
        'verse2seg': ['tools/dataset_converters/verse2seg.py',
                      verse_phantom_root, str(out)],
        'aasce2coco': ['tools/dataset_converters/aasce2coco.py',
                       osp.join(REAL, 'aasce_train'), str(out)],
        'lateral2coco': ['tools/dataset_converters/lateral2coco.py',
                         lateral, str(out)],
        'make_phantoms': ['tools/misc/make_phantoms.py', str(out),
                          '--num-images', '4'],
        'fracture_infer': ['tools/fracture_infer.py', STAGE1, 'a.pth',
                           STAGE1, 'b.pth', osp.join(rsna_phantom_root,
                                                     'train_images'),
                           '--out-dir', str(out)],
    }[tool]
    if tool in ('aasce2coco', 'lateral2coco') and not osp.isdir(REAL):
        pytest.skip('../shared/data/real is not present')
    for extra in ([], ['--overwrite']):
        proc = run_tool(['python'] + args + extra)
        assert proc.returncode != 0, proc.stdout[-1000:]
        assert str(out) in proc.stderr and 'Traceback' not in proc.stderr, \
            proc.stderr[-2000:]
        assert listed(out) == ['notes.txt'] and _intact(mine)
