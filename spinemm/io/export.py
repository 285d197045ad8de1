"""DICOM -> PNG for viewing and for 2D tools that read PNG."""
import json
import os
import os.path as osp

import cv2
import numpy as np
from tqdm import tqdm

from ..utils.paths import distinct_stems
from .dicom_image import read_dicom_image


def is_dicom(path):
    """True for a DICOM Part 10 file (the ``DICM`` marker after the 128-byte
    preamble), whatever its extension."""
    with open(path, 'rb') as f:
        f.seek(128)
        return f.read(4) == b'DICM'


def find_dicoms(src):
    """DICOM files under ``src`` (a file or a folder, searched recursively;
    files are recognised by content, whatever their extension)."""
    if osp.isfile(src):
        return [src]
    if not osp.isdir(src):
        raise FileNotFoundError(f'no such file or folder: {src}')
    found = sorted(osp.join(d, f) for d, _, files in os.walk(src)
                   for f in files if is_dicom(osp.join(d, f)))
    if not found:
        raise FileNotFoundError(f'no DICOM file under {src}')
    return found


def to_uint8(image, window=None):
    """Window (level, width) or min-max -> uint8."""
    img = np.asarray(image, np.float32)
    if window is not None:
        level, width = window
        lo, hi = level - width / 2.0, level + width / 2.0
    else:
        lo, hi = float(img.min()), float(img.max())
    if hi <= lo:
        return np.zeros(img.shape, np.uint8)
    return np.round(np.clip((img - lo) / (hi - lo), 0, 1) * 255).astype(
        np.uint8)


#: in dicom2png's output folder: the window its PNGs were written with
SETTINGS = '.spinemm-dicom2png.json'


def dicom_to_png(src, out, window=None, progress=True, overwrite=False):
    """Every DICOM under ``src`` -> ``out/<relative folder>/<name>.png``.

    ``<name>`` is the file name less a known extension: UID-named files
    (``CT.1.3.12...``) keep their whole name, and names that would collide
    (``a.dcm`` and ``a.dicom``) get distinct ones
    (:func:`spinemm.utils.paths.distinct_stems`). The file's own VOI LUT /
    window is applied unless ``window`` = (level, width) is given (e.g. (400,
    1800) for bone in CT); MONOCHROME1 comes out bone-bright.

    A rerun keeps the PNGs spinemm wrote with the same window (idempotent,
    so a killed run resumes) and rewrites those of another window: ``out/``
    :data:`SETTINGS` holds the window, rewritten when it changes, and a PNG
    older than it was written with another. Every name is checked before the first
    PNG: an output that is an input, or a file spinemm did not write, stops
    the run naming it (``overwrite`` replaces the latter); temporaries of a
    killed run are removed. Returns dict(outputs=paths in input order,
    written=number written, kept=number already there).
    """
    from ..utils import OutputPlan, atomic_write_json, spinemm_wrote
    files = find_dicoms(src)
    base = src if osp.isdir(src) else osp.dirname(src)
    by_folder = {}
    for path in files:
        by_folder.setdefault(osp.dirname(path), []).append(path)
    dst_of = {}
    for folder, group in by_folder.items():
        rel = osp.relpath(folder, base)
        for path, stem in zip(group, distinct_stems(group)):
            dst_of[path] = osp.normpath(osp.join(out, rel, stem + '.png'))
    inputs = {osp.realpath(p) for p in files}
    clash = [d for d in dst_of.values() if osp.realpath(d) in inputs]
    if clash:
        raise ValueError(f'{clash[0]} is an input DICOM file: writing its PNG '
                         'there would replace it; choose another output')
    settings = osp.join(out, SETTINGS)
    setting = dict(window=list(window) if window is not None else 'file')
    plan = OutputPlan(overwrite, [], list(dst_of.values()) + [settings])
    plan.check()
    same = False
    if osp.isfile(settings) and spinemm_wrote(settings):
        with open(settings) as f:
            same = json.load(f) == setting
    if not same:  # a PNG older than this file has another window
        atomic_write_json(settings, setting)
    since = os.stat(settings).st_mtime_ns
    written = kept = 0
    for path in tqdm(files, desc='dicom2png', disable=not progress):
        dst = dst_of[path]
        if spinemm_wrote(dst) and os.stat(dst).st_mtime_ns >= since:
            kept += 1
            continue
        # errors name the file (read_dicom_image's contract)
        image, _, _ = read_dicom_image(path, apply_window=window is None)
        with plan.file(dst, '.png') as tmp:
            if not cv2.imwrite(tmp, to_uint8(image, window)):
                raise OSError(f'could not write {dst}')
        written += 1
    return dict(outputs=[dst_of[p] for p in files], written=written,
                kept=kept)
