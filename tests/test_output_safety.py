"""spinemm never deletes or overwrites what it did not write (issue 11,
item 1).

Each test puts a user's file where a tool would write and checks that the
tool refuses with a message naming the path, exits non-zero, and leaves the
file byte for byte as it was.
"""
import os
import os.path as osp
import stat
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT, ok, run_tool
from spinemm.utils import (MARKER, OutputExistsError, OutputOverlapError,
                           atomic_dir, atomic_write_json, output_kind)
from spinemm.utils.atomic import sweep_stale
from spinemm.utils.paths import distinct_stems, file_stem

REAL_DICOM = osp.join(osp.dirname(ROOT), 'shared', 'data', 'real',
                      'totalseg_ct', 'example_ct_dicom')
needs_real = pytest.mark.skipif(not osp.isdir(REAL_DICOM),
                                reason='../shared/data/real is not present')


def _user_file(folder, name='my_notes.txt', text='precious user data'):
    os.makedirs(folder, exist_ok=True)
    path = osp.join(folder, name)
    with open(path, 'w') as f:
        f.write(text)
    return path


def _intact(path, text='precious user data'):
    with open(path) as f:
        return f.read() == text


def test_atomic_dir_refuses_a_folder_spinemm_did_not_write(tmp_path):
    out = str(tmp_path / 'out')
    mine = _user_file(out)
    with pytest.raises(OutputExistsError, match='not written by spinemm'):
        with atomic_dir(out, 'verse2seg', overwrite=True) as tmp:
            open(osp.join(tmp, 'x'), 'w').close()
    assert _intact(mine) and sorted(os.listdir(out)) == ['my_notes.txt']
    # no temporary folder is left beside it either
    assert sorted(os.listdir(tmp_path)) == ['out']


def test_atomic_dir_replaces_its_own_output_only_with_overwrite(tmp_path):
    out = str(tmp_path / 'out')
    with atomic_dir(out, 'verse2seg') as tmp:
        open(osp.join(tmp, 'first'), 'w').close()
    assert output_kind(out) == 'verse2seg'
    with pytest.raises(OutputExistsError, match='--overwrite'):
        with atomic_dir(out, 'verse2seg') as tmp:
            pass
    with pytest.raises(OutputExistsError, match='another kind'):
        with atomic_dir(out, 'verse2coco', overwrite=True) as tmp:
            pass
    with atomic_dir(out, 'verse2seg', overwrite=True) as tmp:
        open(osp.join(tmp, 'second'), 'w').close()
    assert sorted(os.listdir(out)) == sorted([MARKER, 'second'])
    # an empty folder (made by the user for the output) is fine
    empty = tmp_path / 'empty'
    empty.mkdir()
    with atomic_dir(str(empty), 'verse2seg') as tmp:
        open(osp.join(tmp, 'x'), 'w').close()
    assert 'x' in os.listdir(empty)


def test_output_inside_or_above_an_input_is_refused(tmp_path):
    src = tmp_path / 'data' / 'input'
    mine = _user_file(str(src))
    for out in (src, src / 'sub', tmp_path / 'data'):
        with pytest.raises(OutputOverlapError, match='input'):
            with atomic_dir(str(out), 'verse2seg', overwrite=True,
                            inputs=[str(src)]):
                pass
    assert _intact(mine)
    # allowed inside for converters whose json is relative to the input
    with atomic_dir(str(src / 'coco'), 'spinetk2coco', inputs=[str(src)],
                    allow_inside=True) as tmp:
        open(osp.join(tmp, 'train.json'), 'w').close()
    with pytest.raises(OutputOverlapError):
        with atomic_dir(str(src), 'spinetk2coco', inputs=[str(src)],
                        allow_inside=True):
            pass


def test_stale_temporaries_of_a_killed_run_are_swept(tmp_path):
    dead = subprocess.Popen([sys.executable, '-c', 'pass'])
    dead.wait()
    stale = tmp_path / f'.out.spinemm-tmp-{dead.pid}.abc123'
    stale.mkdir()
    (stale / 'half.png').write_bytes(b'\x89PNG')
    live = tmp_path / f'.out.spinemm-tmp-{os.getpid()}.def456'
    live.mkdir()
    other = tmp_path / '.out.something-else'
    other.mkdir()
    with atomic_dir(str(tmp_path / 'out'), 'phantom-radiograph') as tmp:
        open(osp.join(tmp, 'x'), 'w').close()
    names = set(os.listdir(tmp_path))
    assert stale.name not in names  # the dead run's: removed
    assert live.name in names and other.name in names  # never touched
    assert sweep_stale(str(tmp_path), 'out') == []


def test_outputs_get_the_umask_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        with atomic_dir(str(tmp_path / 'out'), 'verse2seg') as tmp:
            atomic_write_json(osp.join(tmp, 'a.json'), {'x': 1})
    finally:
        os.umask(old)
    out = tmp_path / 'out'
    assert stat.S_IMODE(out.stat().st_mode) == 0o755
    assert stat.S_IMODE((out / 'a.json').stat().st_mode) == 0o644
    assert stat.S_IMODE((out / MARKER).stat().st_mode) == 0o644


def test_make_phantoms_refuses_a_folder_with_user_files(tmp_path):
    data = tmp_path / 'data'
    readme = _user_file(str(data), 'README.md')
    proc = run_tool(['python', 'tools/misc/make_phantoms.py', str(data),
                     '--num-images', '4'])
    assert proc.returncode != 0
    assert 'not written by spinemm' in proc.stderr and str(data) in \
        proc.stderr
    assert _intact(readme) and os.listdir(data) == ['README.md']


def test_make_phantoms_never_replaces_a_real_verse_download(tmp_path):
    # data/README.md tells users to unpack VerSe into data/verse: the
    # published split folder is there, without spinemm's marker
    split = tmp_path / 'verse' / 'dataset-01training'
    ct = _user_file(str(split / 'rawdata' / 'sub-gl003'),
                    'sub-gl003_dir-ax_ct.nii.gz', 'a real CT')
    proc = run_tool(['python', 'tools/misc/make_phantoms.py',
                     str(tmp_path / 'verse'), '--kind', 'verse2020',
                     '--num-images', '1'])
    assert proc.returncode != 0 and 'dataset-01training' in proc.stderr
    assert _intact(ct, 'a real CT')
    # its own phantoms are replaced only with --overwrite
    own = str(tmp_path / 'phantoms')
    args = ['python', 'tools/misc/make_phantoms.py', own, '--kind',
            'verse2020', '--num-images', '1', '--num-vertebrae', '2', '2']
    ok(run_tool(args))
    again = run_tool(args)
    assert again.returncode != 0 and '--overwrite' in again.stderr
    ok(run_tool(args + ['--overwrite']))


def test_converters_refuse_out_equal_to_or_above_the_input(tmp_path):
    from spinemm.phantoms import write_spinetk_phantoms
    root = tmp_path / 'spinetk'
    write_spinetk_phantoms(str(root), num_cases=3, num_augs=1,
                           progress=False)
    before = sorted(p for p, _, _ in os.walk(root))
    for out in (root, tmp_path):
        proc = run_tool(['python', 'tools/dataset_converters/spinetk2coco.py',
                         str(root), str(out), '--strat-var', 'none'])
        assert proc.returncode != 0 and 'input' in proc.stderr, proc.stderr
    assert sorted(p for p, _, _ in os.walk(root)) == before
    # inside the root (the documented data/spinetk/coco) works, and a
    # second run needs --overwrite
    args = ['python', 'tools/dataset_converters/spinetk2coco.py', str(root),
            str(root / 'coco'), '--strat-var', 'none']
    ok(run_tool(args))
    assert run_tool(args).returncode != 0
    ok(run_tool(args + ['--overwrite']))


def test_verse_converters_refuse_out_inside_or_equal_to_the_root(
        verse_phantom_root):
    from spinemm.formats.verse_export import verse_to_coco, verse_to_seg
    before = sorted(os.listdir(verse_phantom_root))
    for fn in (verse_to_seg, verse_to_coco):
        for out in (verse_phantom_root, osp.join(verse_phantom_root, 'x'),
                    osp.dirname(verse_phantom_root)):
            with pytest.raises(OutputOverlapError):
                fn(verse_phantom_root, out, progress=False)
    assert sorted(os.listdir(verse_phantom_root)) == before


@pytest.mark.parametrize('tool', ['tools/infer.py', 'tools/seg_infer.py'])
def test_inference_tools_refuse_the_input_folder_as_out_dir(tmp_path, tool):
    import cv2
    folder = tmp_path / 'scans'
    folder.mkdir()
    img = np.full((32, 32), 100, np.uint8)
    cv2.imwrite(str(folder / 'a.png'), img)
    before = (folder / 'a.png').read_bytes()
    # the refusal comes before the model is built: no checkpoint needed
    for out in (folder, folder / 'out', tmp_path):
        proc = run_tool(['python', tool, 'cfg.py', 'ckpt.pth', str(folder),
                         '--out-dir', str(out)])
        assert proc.returncode != 0 and '--out-dir' in proc.stderr, \
            proc.stderr[-2000:]
    assert (folder / 'a.png').read_bytes() == before
    assert sorted(os.listdir(folder)) == ['a.png']


def test_report_tool_refuses_the_input_folder_as_out_dir(tmp_path):
    import cv2
    folder = tmp_path / 'films'
    folder.mkdir()
    cv2.imwrite(str(folder / 'a.png'), np.full((32, 32), 100, np.uint8))
    proc = run_tool(['python', 'tools/report.py', str(folder),
                     '--det-config', 'c.py', '--det-checkpoint', 'c.pth',
                     '--out-dir', str(folder)])
    assert proc.returncode != 0 and '--out-dir' in proc.stderr
    assert sorted(os.listdir(folder)) == ['a.png']


def test_output_names_never_collide():
    uid = ['s/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016573',
           's/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016574']
    assert distinct_stems(uid) == [osp.basename(u) for u in uid]
    assert distinct_stems(['d/a.png', 'd/a.dcm', 'd/b.nii.gz']) == \
        ['a_png', 'a_dcm', 'b']
    stems = distinct_stems(['x/a.png', 'y/a.png'])
    assert len(set(stems)) == 2
    assert file_stem('scan.NII.GZ') == 'scan' and file_stem('.dcm') == '.dcm'


@needs_real
def test_dicom2png_writes_one_png_per_uid_named_slice(tmp_path):
    """The real series' files are named by UID (CT.1.3.12...): splitext
    gave all 20 the same name, so 1 PNG was written and 20 reported."""
    out = tmp_path / 'png'
    text = ok(run_tool(['python', 'tools/dataset_converters/dicom2png.py',
                        REAL_DICOM, str(out)]))
    names = sorted(n for n in os.listdir(out) if not n.startswith('.'))
    assert len(names) == 20 == len(os.listdir(REAL_DICOM))
    assert names == sorted(n + '.png' for n in os.listdir(REAL_DICOM))
    assert '20 PNG file(s) written' in text
    again = ok(run_tool(['python', 'tools/dataset_converters/dicom2png.py',
                         REAL_DICOM, str(out)]))
    assert '0 PNG file(s) written' in again and '20 already there' in again
    # issue 25 case 13: a rerun with another window kept the old PNGs
    first = (out / names[0]).read_bytes()
    bone = ok(run_tool(['python', 'tools/dataset_converters/dicom2png.py',
                        REAL_DICOM, str(out), '--window', '400', '1800']))
    assert '20 PNG file(s) written' in bone, bone
    assert (out / names[0]).read_bytes() != first
    same = ok(run_tool(['python', 'tools/dataset_converters/dicom2png.py',
                        REAL_DICOM, str(out), '--window', '400', '1800']))
    assert '20 already there' in same


def test_verse_unpack_never_replaces_an_existing_folder(tmp_path):
    import zipfile

    from spinemm.formats.verse_download import DownloadError, unpack
    archive = tmp_path / 'a.zip'
    with zipfile.ZipFile(archive, 'w') as z:
        z.writestr('dataset-verse19training/rawdata/x.txt', 'phantom')
    root = tmp_path / 'root'
    mine = _user_file(str(root / 'dataset-verse19training'), 'mine.txt')
    with pytest.raises(DownloadError, match='already exist'):
        unpack(str(archive), str(root))
    assert _intact(mine)
