"""Output names for input files that never collide.

``os.path.splitext`` is wrong for medical files: a DICOM named by its UID
(``CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016573``) has no
extension, and splitext would cut it at the last dot, so twenty slices of a
series would share one output name. Only the extensions listed here are
stripped; a name without one is kept whole.
"""
import os.path as osp

#: extensions stripped from input names (longest first: ``.nii.gz``)
KNOWN_EXTS = ('.nii.gz', '.nii', '.dcm', '.dicom', '.ima', '.png', '.jpg',
              '.jpeg', '.bmp', '.tif', '.tiff', '.npy', '.mha', '.nrrd')


def file_stem(path):
    """The file name less one known extension (case-insensitive)."""
    name = osp.basename(str(path).rstrip('/'))
    low = name.lower()
    for ext in KNOWN_EXTS:
        if low.endswith(ext) and len(name) > len(ext):
            return name[:-len(ext)]
    return name


def distinct_stems(paths):
    """One output stem per input path, all different.

    A stem is :func:`file_stem`; inputs whose stems collide (``a.png`` and
    ``a.dcm``) get their extension appended (``a_png``, ``a_dcm``), and inputs
    still equal (the same name in two folders) their parent folders' names.
    Returns a list in the order of ``paths``.
    """
    paths = [str(p) for p in paths]
    stems = [file_stem(p) for p in paths]

    def clashes(names):
        seen = {}
        for n in names:
            seen[n.lower()] = seen.get(n.lower(), 0) + 1
        return {n for n, c in seen.items() if c > 1}

    bad = clashes(stems)
    stems = [
        osp.basename(p.rstrip('/')).replace('.', '_') if s.lower() in bad
        else s for p, s in zip(paths, stems)
    ]
    if clashes(stems):
        # the same name in several folders: prefix the folders below the
        # inputs' common parent
        base = osp.commonpath([osp.abspath(p) for p in paths])
        stems = [
            osp.relpath(osp.abspath(p), base).replace(osp.sep, '_')
            .replace('.', '_') if s.lower() in clashes(stems) else s
            for p, s in zip(paths, stems)
        ]
    if clashes(stems):
        raise ValueError(f'cannot give distinct output names to {paths}')
    return stems
