"""What the inference tools read, and where they may write.

One lister for ``tools/infer.py``, ``tools/seg_infer.py`` and
``tools/report.py``: a file, or the files directly in a folder that are
images (by extension) or DICOM (by content, whatever the name: UID-named
slices have no extension). Output names come from
:func:`spinemm.utils.paths.distinct_stems`, so ``a.png`` and ``a.dcm`` never
write the same ``a.json``, and the output folder may not be, lie in or hold
an input (:func:`spinemm.utils.check_no_overlap`), so an input is never
overwritten. :func:`plan_outputs` applies the output rule
(:mod:`spinemm.utils.outputs`) to every name before any compute.
"""
import glob
import os
import os.path as osp

from ..io.dicom_series import scan_dicom_folder
from ..io.export import is_dicom
from ..utils import check_no_overlap
from ..utils.paths import distinct_stems

IMAGE_EXTS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.dcm')
NIFTI_EXTS = ('.nii', '.nii.gz')
#: name parts of label maps stored beside images (VerSe ``_seg-vert_msk``,
#: TotalSegmentator ``seg``, ``mask``, ``label``): never reported on as images
LABEL_NAME_PARTS = ('_seg', 'seg.', '_msk', 'mask', 'label')


def _files(folder):
    return [osp.join(folder, f) for f in sorted(os.listdir(folder))
            if osp.isfile(osp.join(folder, f))]


def list_images(path):
    """Images and DICOM files: ``path`` itself, or those directly in it."""
    if osp.isfile(path):
        return [path]
    if not osp.isdir(path):
        raise FileNotFoundError(f'no such file or folder: {path}')
    found = [f for f in _files(path)
             if f.lower().endswith(IMAGE_EXTS) or is_dicom(f)]
    if not found:
        raise FileNotFoundError(f'no image or DICOM file in {path} '
                                f'({", ".join(IMAGE_EXTS)} or DICOM content)')
    return found


def is_label_name(path):
    name = osp.basename(path).lower()
    return any(part in name for part in LABEL_NAME_PARTS)


def list_report_inputs(path, series_uid=None):
    """What ``tools/report.py`` reports on, as (path, series_uid) pairs.

    A folder whose DICOM slices (files with ``ImagePositionPatient``) share
    one series is that series, whatever else lies in it; several series need
    ``series_uid`` (the error lists them). Otherwise each image, DICOM
    radiograph and NIfTI volume in it is an input, label maps excluded by
    name (:data:`LABEL_NAME_PARTS`). Returns (inputs, skipped names).
    """
    if osp.isfile(path):
        return [(path, None)], []
    if not osp.isdir(path):
        raise FileNotFoundError(f'no such file or folder: {path}')
    scan = scan_dicom_folder(path, skip_bad=True)
    stacks = {k: v for k, v in scan['series'].items() if len(v) > 1}
    if series_uid is not None:
        if series_uid not in scan['series']:
            raise ValueError(f'{path}: no slice of series {series_uid} '
                             f'(found {sorted(scan["series"])})')
        return [(path, series_uid)], []
    if len(stacks) == 1:
        return [(path, next(iter(stacks)))], []
    if len(stacks) > 1:
        desc = '; '.join(f'{k} ({len(v)} slices)' for k, v in stacks.items())
        raise ValueError(f'{path} holds {len(stacks)} DICOM series: {desc}; '
                         'pass --series-uid to choose one')
    inputs, skipped = [], []
    for f in _files(path):
        low = f.lower()
        if low.endswith(NIFTI_EXTS):
            (skipped if is_label_name(f) else inputs).append(f)
        elif low.endswith(IMAGE_EXTS) or is_dicom(f):
            inputs.append(f)
    if not inputs:
        raise FileNotFoundError(f'nothing to report on in {path}')
    return [(f, None) for f in inputs], skipped


def prepare_out_dir(out_dir, inputs):
    """Create ``out_dir`` after checking that it is not, does not lie in and
    does not hold any input; return it."""
    check_no_overlap(out_dir, inputs, what='--out-dir')
    os.makedirs(out_dir, exist_ok=True)
    return out_dir


def images_for_tool(path, out_dir):
    """For a command-line tool: the images of ``path`` (:func:`list_images`)
    and ``out_dir`` prepared (:func:`prepare_out_dir`), errors as
    ``error: ...`` and a non-zero exit instead of a traceback."""
    from ..utils import refusals_as_exit
    try:
        files = list_images(path)
    except FileNotFoundError as e:
        raise SystemExit(f'error: {e}') from None
    with refusals_as_exit():
        prepare_out_dir(out_dir, [path])
    return files


def output_names(paths, suffixes=('', )):
    """Distinct output stems for input paths (see the module docstring):
    ``stem + suffix`` differs between inputs for every suffix."""
    return distinct_stems(paths, suffixes)


def plan_outputs(out_dir, stems, suffixes, inputs, overwrite=False,
                 extra=()):
    """For a command-line tool: the :class:`spinemm.utils.OutputPlan` of
    ``out_dir/<stem><suffix>`` for every stem and suffix plus the ``extra``
    names, checked before any compute (a file that spinemm did not write
    stops the run, naming it, unless ``overwrite``); refusals become
    ``error: ...`` and a non-zero exit."""
    from ..utils import OutputPlan, refusals_as_exit
    plan = OutputPlan(overwrite, inputs)
    with refusals_as_exit():
        for stem in stems:
            for suf in suffixes:
                plan.add(osp.join(out_dir, stem + suf))
        for name in extra:
            plan.add(osp.join(out_dir, name))
        plan.check()
    return plan


def _dicom_series_dirs(path):
    """``path`` itself when DICOM files lie directly in it, else its
    subfolders that hold DICOM files directly (one series folder each, as
    PACS exports and RSNA's ``train_images/<study>`` lay them out)."""
    def holds_dicom(d):
        return any(osp.isfile(f) and is_dicom(f) for f in _files(d))
    if holds_dicom(path):
        return [path]
    subs = [osp.join(path, d) for d in sorted(os.listdir(path))]
    return [d for d in subs if osp.isdir(d) and holds_dicom(d)]


def list_cts(path):
    """(stem, path) of every CT to segment under ``path``: a NIfTI file, a
    DICOM series folder, a VerSe root (through
    :func:`spinemm.formats.verse.index_verse`), a flat folder of NIfTI files
    (label maps left out by name: ``*_msk``, ``*seg*``, ``*mask*``,
    ``*label*``: printed) or a folder of DICOM series folders. Stems are
    distinct (``a.nii`` and ``a.nii.gz`` -> ``a_nii``, ``a_nii_gz``; a
    series folder gives its folder name). Read each with :func:`read_ct`.
    What ``tools/verse_infer.py`` segments."""
    from ..formats.verse import index_verse
    if osp.isfile(path):
        if is_dicom(path):
            raise FileNotFoundError(
                f'{path} is one DICOM file: give the folder of its series '
                '(every slice of one CT)')
        files = [path]
    elif osp.isdir(path):
        try:
            return [(c['stem'], c['ct']) for c in index_verse(path)]
        except FileNotFoundError:  # not a VerSe layout: a flat folder
            found = sorted(glob.glob(osp.join(path, '*.nii.gz'))
                           + glob.glob(osp.join(path, '*.nii')))
            files = []
            for f in found:
                if is_label_name(f):
                    print(f'skipped {f}: a label map by its name, not a CT')
                else:
                    files.append(f)
            files += _dicom_series_dirs(path)
    else:
        raise FileNotFoundError(f'no such file or folder: {path}')
    if not files:
        raise FileNotFoundError(f'no CT in {path}: neither NIfTI files '
                                '(*.nii.gz) nor DICOM series folders')
    stems = []
    for f in files:
        name = osp.basename(osp.normpath(f))
        if osp.isdir(f):
            stems.append(name)
            continue
        for suffix in ('_ct.nii.gz', '.nii.gz', '.nii'):
            if name.endswith(suffix):
                stems.append(name[:-len(suffix)])
                break
    seen = {}
    for s in stems:
        seen[s.lower()] = seen.get(s.lower(), 0) + 1
    stems = [osp.basename(osp.normpath(f)).replace('.', '_')
             if seen[s.lower()] > 1 else s for s, f in zip(stems, files)]
    return list(zip(stems, files))


def read_ct(path):
    """The CT of a :func:`list_cts` entry: a NIfTI file, or the one series
    of a DICOM folder (:func:`spinemm.io.dicom_series.read_dicom_series`:
    a folder of several series, slices that do not decode or a gap in the
    slices raise :class:`~spinemm.io.dicom_series.DicomSeriesError` naming
    the file)."""
    from ..io import read_nifti
    from ..io.dicom_series import read_dicom_series
    if osp.isdir(path):
        ct = read_dicom_series(path)
        ct.meta.setdefault('source', path)
        return ct
    return read_nifti(path)
