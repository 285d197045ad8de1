"""Download the public VerSe releases (resumable, checksummed, atomic).

Sources are the archives the VerSe maintainers list in
https://github.com/anjany/verse (README, "Download"). Each archive is fetched
to ``<root>/.downloads/<name>.zip.part``; an interrupted download resumes with
an HTTP Range request. The finished archive's SHA-256 is compared with the
expected one when known (``--sha256 name=hex`` or :data:`SHA256`; the
maintainers publish none, so the first download records it in
``<name>.zip.sha256`` and later runs verify against that record), its zip
structure is tested, and it is unpacked into a temporary folder renamed into
place. Offline, the first request fails at once and the error says where to
put manually obtained files.
"""
import hashlib
import os
import os.path as osp
import shutil
import urllib.error
import urllib.request
import zipfile

from tqdm import tqdm

from ..utils import atomic_dir
from .verse import verse_folder_names

BASE_URL = 'https://s3.bonescreen.de/public/VerSe-complete/'
ARCHIVES = {
    2019: ['dataset-verse19training', 'dataset-verse19validation',
           'dataset-verse19test'],
    2020: ['dataset-verse20training', 'dataset-verse20validation',
           'dataset-verse20test'],
}
#: Known SHA-256 per archive name (none are published upstream).
SHA256 = {}


class DownloadError(RuntimeError):
    pass


def offline_message(root, release):
    folders = ', '.join(verse_folder_names(release))
    return (f'cannot reach {BASE_URL}. Download the VerSe {release} archives '
            f'elsewhere ({", ".join(a + ".zip" for a in ARCHIVES[release])}) '
            f'and unpack them under {osp.abspath(root)} so that it holds the '
            f'split folders (e.g. {folders}) with rawdata/ and derivatives/ '
            'inside; see data/README.md.')


def sha256sum(path, chunk=1 << 20):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(chunk), b''):
            h.update(block)
    return h.hexdigest()


def fetch(url, dest, timeout=30, progress=True):
    """Download ``url`` to ``dest``, resuming a ``dest + '.part'`` file."""
    part = dest + '.part'
    have = osp.getsize(part) if osp.isfile(part) else 0
    req = urllib.request.Request(url)
    if have:
        req.add_header('Range', f'bytes={have}-')
    try:
        resp = urllib.request.urlopen(req, timeout=timeout)
    except urllib.error.HTTPError as e:
        if e.code == 416 and have:  # the part file is already complete
            os.replace(part, dest)
            return dest
        raise DownloadError(f'{url}: HTTP {e.code} {e.reason}') from e
    with resp:
        resumed = have and resp.status == 206
        mode = 'ab' if resumed else 'wb'
        total = resp.headers.get('Content-Length')
        total = int(total) + (have if resumed else 0) if total else None
        with open(part, mode) as f, tqdm(
                total=total, initial=have if resumed else 0, unit='B',
                unit_scale=True, desc=osp.basename(dest),
                disable=not progress) as bar:
            for block in iter(lambda: resp.read(1 << 20), b''):
                f.write(block)
                bar.update(len(block))
    os.replace(part, dest)
    return dest


def verify(path, expected=None):
    """Check the archive's SHA-256 against ``expected`` or the recorded one
    (recording it on first use) and its zip structure."""
    digest = sha256sum(path)
    record = path + '.sha256'
    if expected is None and osp.isfile(record):
        with open(record) as f:
            expected = f.read().split()[0]
    if expected is not None and digest != expected.lower():
        bad = path + '.bad'
        os.replace(path, bad)
        raise DownloadError(f'{path}: SHA-256 {digest} != expected {expected}'
                            f'; moved to {bad}, run again to re-download')
    with open(record, 'w') as f:
        f.write(f'{digest}  {osp.basename(path)}\n')
    try:
        with zipfile.ZipFile(path) as z:
            broken = z.testzip()
    except zipfile.BadZipFile as e:
        raise DownloadError(f'{path} is not a zip archive: {e}') from e
    if broken:
        raise DownloadError(f'{path}: corrupt member {broken}')
    return digest


def unpack(archive, root):
    """Unpack into ``root``; each top-level folder appears whole or not at
    all. A top-level name that already exists in ``root`` is an error before
    anything is unpacked (it is the user's, or another archive's: never
    replaced). Returns the top-level names."""
    with zipfile.ZipFile(archive) as z:
        tops = sorted({n.split('/')[0] for n in z.namelist() if n.strip('/')})
        taken = [t for t in tops if osp.lexists(osp.join(root, t))]
        if taken:
            raise DownloadError(
                f'{archive}: unpacking would replace {", ".join(taken)} in '
                f'{root}, which already exist(s); move them away or unpack '
                'into another root')
        with atomic_dir(osp.join(root, '.unpack'), 'verse-unpack',
                        overwrite=True) as tmp:
            z.extractall(tmp)
            for top in tops:
                os.replace(osp.join(tmp, top), osp.join(root, top))
    shutil.rmtree(osp.join(root, '.unpack'), ignore_errors=True)
    return tops


def download_verse(root, release=2019, archives=None, base_url=BASE_URL,
                   sha256=None, timeout=30, progress=True):
    """Fetch, verify and unpack the archives of one release into ``root``.

    Already unpacked archives (a ``.<name>.done`` marker) are skipped, so a
    second run does nothing. Returns the unpacked top-level folders.
    """
    if release not in ARCHIVES:
        raise ValueError(f'VerSe releases are {sorted(ARCHIVES)}, '
                         f'not {release}')
    names = archives or ARCHIVES[release]
    sha256 = dict(SHA256, **(sha256 or {}))
    downloads = osp.join(root, '.downloads')
    os.makedirs(downloads, exist_ok=True)
    unpacked = []
    for name in names:
        marker = osp.join(root, f'.{name}.done')
        if osp.isfile(marker):
            continue
        dest = osp.join(downloads, f'{name}.zip')
        if not osp.isfile(dest):
            try:
                fetch(base_url + f'{name}.zip', dest, timeout, progress)
            except (urllib.error.URLError, OSError) as e:
                reason = getattr(e, 'reason', e)
                raise DownloadError(offline_message(root, release) +
                                    f' ({reason})') from e
        verify(dest, sha256.get(name))
        unpacked += unpack(dest, root)
        with open(marker, 'w') as f:
            f.write(sha256sum(dest) + '\n')
    return unpacked
