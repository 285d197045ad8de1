"""Download and unpack the public VerSe 2019 / 2020 archives.

    python tools/misc/download_verse.py data/verse --release 2019
Resumes interrupted downloads; verifies SHA-256 (--sha256 NAME=HEX, else the
hash recorded by the first download) and the zip structure; offline it stops
at once and says where to put the files.
"""
import argparse
import sys

from spinemm.formats.verse_download import DownloadError, download_verse


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('root', help='folder to hold the split folders')
    p.add_argument('--release', type=int, default=2019, choices=[2019, 2020])
    p.add_argument('--archives', nargs='+',
                   help='archive names (default: all three splits)')
    p.add_argument('--base-url', default=None, help='mirror URL')
    p.add_argument('--sha256', nargs='+', default=[], metavar='NAME=HEX')
    p.add_argument('--timeout', type=float, default=30)
    a = p.parse_args()
    kwargs = dict(base_url=a.base_url) if a.base_url else {}
    try:
        tops = download_verse(a.root, a.release, a.archives,
                              sha256=dict(s.split('=', 1) for s in a.sha256),
                              timeout=a.timeout, **kwargs)
    except DownloadError as e:
        sys.exit(f'error: {e}')
    print('unpacked: ' + (', '.join(tops) or 'nothing new'))


if __name__ == '__main__':
    main()
