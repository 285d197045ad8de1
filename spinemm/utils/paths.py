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


def distinct_stems(paths, suffixes=('', )):
    """One output stem per input path; the names ``stem + suffix`` (for each
    of ``suffixes``, e.g. ``('.png', '_overlay.png')``) of different inputs
    all differ, also up to case.

    A stem is :func:`file_stem`; inputs whose names collide (``a.png`` and
    ``a.dcm``; ``x.png``'s ``x_overlay.png`` and ``x_overlay.png``'s
    ``x_overlay.png``) get their extension appended (``a_png``, ``a_dcm``),
    and inputs still equal (the same name in two folders) their parent
    folders' names. Returns a list in the order of ``paths``.
    """
    paths = [str(p) for p in paths]
    stems = [file_stem(p) for p in paths]

    def clashes(names):
        """Indices of inputs one of whose output names another one shares."""
        owner, bad = {}, set()
        for i, n in enumerate(names):
            for suf in suffixes:
                key = (n + suf).lower()
                if owner.setdefault(key, i) != i:
                    bad.update((i, owner[key]))
        return bad

    bad = clashes(stems)
    stems = [
        osp.basename(p.rstrip('/')).replace('.', '_') if i in bad else s
        for i, (p, s) in enumerate(zip(paths, stems))
    ]
    bad = clashes(stems)
    if bad:
        # the same name in several folders: prefix the folders below the
        # inputs' common parent
        base = osp.commonpath([osp.abspath(p) for p in paths])
        stems = [
            osp.relpath(osp.abspath(p), base).replace(osp.sep, '_')
            .replace('.', '_') if i in bad else s
            for i, (p, s) in enumerate(zip(paths, stems))
        ]
    bad = clashes(stems)
    if bad:
        # names equal up to case only (A.png, a.png: one file on macOS and
        # Windows): number them in input order
        seen = {}
        for i in sorted(bad):
            key = stems[i].lower()
            seen[key] = seen.get(key, 0) + 1
            stems[i] = f'{stems[i]}-{seen[key]}'
    if clashes(stems):
        raise ValueError(f'cannot give distinct output names to {paths}')
    return stems
