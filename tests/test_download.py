"""VerSe downloader against a local HTTP server that speaks Range requests."""
import hashlib
import http.server
import io
import os
import os.path as osp
import threading
import zipfile

import pytest

from spinemm.formats.verse_download import (DownloadError, download_verse,
                                            fetch)


def _archive():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w') as z:
        z.writestr('dataset-verse19training/rawdata/sub-verse004/'
                   'sub-verse004_ct.nii.gz', os.urandom(50_000))
        z.writestr('dataset-verse19training/derivatives/sub-verse004/'
                   'sub-verse004_seg-subreg_ctd.json', '[]')
    return buf.getvalue()


@pytest.fixture()
def server():
    payload = _archive()
    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):

        def do_GET(self):
            seen.append(self.headers.get('Range'))
            if not self.path.endswith('dataset-verse19training.zip'):
                self.send_error(404)
                return
            start = 0
            if self.headers.get('Range'):
                start = int(self.headers['Range'].split('=')[1].split('-')[0])
                self.send_response(206)
            else:
                self.send_response(200)
            body = payload[start:]
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f'http://127.0.0.1:{httpd.server_port}/', payload, seen
    httpd.shutdown()


def test_resume_verify_unpack_and_idempotence(server, tmp_path):
    url, payload, seen = server
    root = str(tmp_path / 'verse')
    os.makedirs(osp.join(root, '.downloads'))
    # an interrupted earlier download: the first third is already there
    with open(osp.join(root, '.downloads',
                       'dataset-verse19training.zip.part'), 'wb') as f:
        f.write(payload[:len(payload) // 3])
    sha = hashlib.sha256(payload).hexdigest()
    tops = download_verse(root, 2019, ['dataset-verse19training'],
                          base_url=url, progress=False,
                          sha256={'dataset-verse19training': sha})
    assert tops == ['dataset-verse19training']
    assert seen == [f'bytes={len(payload) // 3}-']
    with open(osp.join(root, '.downloads', 'dataset-verse19training.zip'),
              'rb') as f:
        assert f.read() == payload
    assert osp.isfile(osp.join(root, 'dataset-verse19training', 'rawdata',
                               'sub-verse004', 'sub-verse004_ct.nii.gz'))
    assert download_verse(root, 2019, ['dataset-verse19training'],
                          base_url=url, progress=False) == []
    assert len(seen) == 1


def test_checksum_mismatch_is_refused(server, tmp_path):
    url, payload, _ = server
    root = str(tmp_path / 'verse')
    with pytest.raises(DownloadError, match='SHA-256'):
        download_verse(root, 2019, ['dataset-verse19training'], base_url=url,
                       progress=False,
                       sha256={'dataset-verse19training': '0' * 64})
    assert osp.isfile(osp.join(root, '.downloads',
                               'dataset-verse19training.zip.bad'))
    assert not osp.exists(osp.join(root, 'dataset-verse19training'))


def test_offline_fails_at_once_and_says_where_to_put_files(tmp_path):
    import socket
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there
    with pytest.raises(DownloadError, match='unpack them under'):
        download_verse(str(tmp_path), 2019, base_url=f'http://127.0.0.1:{port}/',
                       timeout=5, progress=False)


def test_http_errors_are_named(server, tmp_path):
    url, _, _ = server
    with pytest.raises(DownloadError, match='404'):
        fetch(url + 'missing.zip', str(tmp_path / 'x.zip'), progress=False)
