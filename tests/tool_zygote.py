"""A Python that has imported torch and the OpenMMLab libraries once and runs
each tool test's command in a forked child of itself.

The tool tests run about 130 commands (``python tools/X.py ...``); a fresh
interpreter spends 4-10 s importing torch, mmdet, mmpose and mmseg before a
tool does anything. Here that import happens once per test session: this
process imports them (and runs no torch op, so no thread pool exists to be
copied into a child), then for each request forks a child that changes to
the requested folder, sends its stdout and stderr to the requested files,
and runs the tool as ``python tools/X.py ARGS`` would: ``__name__ ==
'__main__'``, ``sys.argv``, the script's folder first on ``sys.path``, exit
status from ``SystemExit`` (a message goes to stderr, status 1), an uncaught
exception printed as a traceback with status 1, ``atexit`` handlers run.
Each tool run is still its own process: nothing it does reaches the next.

Protocol (one JSON line each way): ``{"argv": [script, args...], "cwd",
"out", "err", "timeout"}`` -> ``{"rc", "timed_out"}``. conftest.run_tool
starts it on first use and falls back to a fresh interpreter for anything
else (another program, ``-c``/``-m``, extra environment).
"""
import atexit
import json
import os
import runpy
import signal
import sys
import time
import traceback


def _preload():
    import cv2  # noqa: F401
    import mmdet.apis  # noqa: F401
    import mmengine.runner  # noqa: F401
    import mmpose.apis  # noqa: F401
    import mmseg.apis  # noqa: F401
    import numpy  # noqa: F401
    import torch  # noqa: F401
    import torchvision  # noqa: F401
    import tqdm  # noqa: F401

    import spinemm  # noqa: F401 (its mmengine fixes apply on import)


def _child(req):
    os.chdir(req['cwd'])
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    for fd, path in ((1, req['out']), (2, req['err'])):
        f = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(f, fd)
        os.close(f)
    sys.stdin = open(0, closefd=False)
    sys.stdout = open(1, 'w', closefd=False)
    sys.stderr = open(2, 'w', closefd=False)
    script = req['argv'][0]
    sys.argv = list(req['argv'])
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    code = 0
    try:
        runpy.run_path(script, run_name='__main__')
    except SystemExit as e:
        if e.code is None:
            code = 0
        elif isinstance(e.code, int):
            code = e.code
        else:
            print(e.code, file=sys.stderr)
            code = 1
    except BaseException:
        traceback.print_exc()
        code = 1
    try:
        atexit._run_exitfuncs()
    except BaseException:
        traceback.print_exc()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _wait(pid, timeout):
    end = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status), False
        if time.monotonic() > end:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return -9, True
        time.sleep(0.02)


def main():
    _preload()
    reply = os.fdopen(os.dup(1), 'w')
    print(json.dumps({'ready': True}), file=reply, flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            try:
                _child(req)
            finally:
                os._exit(1)
        rc, timed_out = _wait(pid, req['timeout'])
        print(json.dumps({'rc': rc, 'timed_out': timed_out}), file=reply,
              flush=True)


if __name__ == '__main__':
    main()
