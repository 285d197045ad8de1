"""Write CT phantoms of the cervical spine in the RSNA 2022 layout."""
import csv
import os
import os.path as osp

import numpy as np
from tqdm import tqdm

from ..formats.rsna import BOX_COLUMNS, RSNA_VERTEBRAE, TRAIN_COLUMNS
from ..io import reorient, write_nifti
from ..io.volume import LPS_TO_RAS
from ..io.dicom_image import grey_dicom_dataset, save_dicom
from ..utils import atomic_dir
from .ct import make_ct_phantom

CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2'


def _write_slice(path, pixels_hu, ipp_lps, spacing_rc, thickness, number, uid,
                 series):
    pixels = np.clip(pixels_hu + 1024, 0, 4095)
    ds = grey_dicom_dataset(CT_IMAGE_STORAGE, 'CT', pixels, bits_stored=12)
    ds.StudyInstanceUID = uid
    ds.SeriesInstanceUID = series
    ds.InstanceNumber = number
    ds.ImagePositionPatient = [f'{v:.4f}' for v in ipp_lps]
    ds.ImageOrientationPatient = ['1', '0', '0', '0', '1', '0']
    ds.PixelSpacing = [f'{v:.4f}' for v in spacing_rc]
    ds.SliceThickness = f'{thickness:.4f}'
    ds.RescaleIntercept = '-1024'
    ds.RescaleSlope = '1'
    save_dicom(ds, path)


def write_rsna_series(folder, ct, uid, series, reverse=False):
    """Write an ('L', 'P', 'S') HU volume as one axial DICOM slice per file,
    ``<slice_number>.dcm``, numbered from the head down (``reverse``: from
    the feet up). Returns {slice index: slice_number}."""
    n = ct.data.shape[2]
    os.makedirs(folder)
    numbers = {}
    for k in range(n):
        number = k + 1 if reverse else n - k
        numbers[k] = number
        ras = ct.voxel_to_world([0, 0, k])[0]
        _write_slice(
            osp.join(folder, f'{number}.dcm'), ct.data[:, :, k].T,
            LPS_TO_RAS[:3, :3] @ ras, (ct.spacing[1], ct.spacing[0]),
            ct.spacing[2], number, uid, series)
    return numbers


def write_rsna_phantoms(root, num_studies=3, seed=0, fracture_prob=0.3,
                        reversed_every=0, progress=True, overwrite=False,
                        spacing=1.5):
    """Write ``num_studies`` phantom studies (C1-T1) in the RSNA layout.

    Slices are numbered from the head down (1 = most superior) unless a study
    is one of every ``reversed_every``-th, which is numbered from the feet up,
    as some RSNA studies are. Every study has a segmentation. A fractured
    vertebra shows its height loss and a fracture cleft through the body
    (``make_ct_phantom(fracture_lines=True)``), so that a model can learn to
    see it on axial slices. Isotropic ``spacing`` mm. Returns the
    truth: {uid: list of vertebra dicts (level, genant_grade, ...)}.
    """
    truth = {}
    with atomic_dir(root, 'phantom-rsna', overwrite) as tmp:
        os.makedirs(osp.join(tmp, 'train_images'))
        os.makedirs(osp.join(tmp, 'segmentations'))
        train_rows, box_rows = [], []
        for s in tqdm(range(num_studies), desc='RSNA phantoms',
                      disable=not progress):
            ph = make_ct_phantom(seed * 1_000_003 + s,
                                 levels=list(RSNA_VERTEBRAE) + ['T1'],
                                 fracture_prob=fracture_prob,
                                 spacing=spacing, fracture_lines=True)
            uid = f'1.2.826.0.1.3680043.8.498.{seed}.{s + 1}'
            series = f'{uid}.1'
            ct = reorient(ph.ct, ('L', 'P', 'S'))
            bodies = reorient(ph.bodies, ('L', 'P', 'S'))
            n = ct.data.shape[2]
            reverse = bool(reversed_every) and s % reversed_every == 0
            numbers = write_rsna_series(osp.join(tmp, 'train_images', uid),
                                        ct, uid, series, reverse)
            write_nifti(reorient(ph.labels, ('P', 'I', 'R')),
                        osp.join(tmp, 'segmentations', f'{uid}.nii'))
            fractured = {v.level: int(v.genant_grade > 0)
                         for v in ph.vertebrae}
            train_rows.append([uid, int(any(fractured[c]
                                            for c in RSNA_VERTEBRAE))] +
                              [fractured[c] for c in RSNA_VERTEBRAE])
            for v in ph.vertebrae:
                if v.level not in RSNA_VERTEBRAE or not v.genant_grade:
                    continue
                for k in range(n):
                    cols, rows = np.nonzero(bodies.data[:, :, k] == v.label)
                    if cols.size:
                        box_rows.append([
                            uid, float(cols.min()), float(rows.min()),
                            float(cols.max() + 1 - cols.min()),
                            float(rows.max() + 1 - rows.min()), numbers[k]
                        ])
            truth[uid] = [
                dict(level=v.level, genant_grade=v.genant_grade,
                     fracture_type=v.fracture_type) for v in ph.vertebrae
            ]
        for name, header, rows in (('train.csv', TRAIN_COLUMNS, train_rows),
                                   ('train_bounding_boxes.csv', BOX_COLUMNS,
                                    box_rows)):
            with open(osp.join(tmp, name), 'w', newline='') as f:
                w = csv.writer(f)
                w.writerow(header)
                w.writerows(rows)
    return truth
