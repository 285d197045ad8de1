#!/usr/bin/env bash
# Create (or reuse) the project's virtualenv with the pinned OpenMMLab stack.
#
#   bash tools/misc/setup_env.sh
#
#   (prints nothing and returns at once when the venv is already set up)
# Variables: SPINEMM_VENV (default: <repo>/.venv), PYTHON (default: python3),
# SPINEMM_MMCV (default: lite; or compiled), SPINEMM_CACHE (default:
# ~/.cache/spinemm; holds the mmcv wheel built in compiled mode).
#
# What it does, once (a stamp file makes later runs return in seconds):
#  1. torch 2.14.1 + torchvision 0.29.1 (a matching, real torchvision: mmpose
#     imports it), setuptools<82 (mmcv's setup.py and mmengine need
#     pkg_resources), pinned by requirements/constraints.txt;
#  2. the runtime, OpenMMLab and test requirements;
#  3. mmcv 2.1.0, one of two ways (SPINEMM_MMCV):
#     lite (default, no compiler): the pure-Python mmcv-lite 2.1.0 wheel (all
#       of mmcv/ops/*.py, no _ext) plus packages/spinemm-mmcv-ext, which
#       serves mmcv._ext's roi_align and nms from torchvision's kernels (CPU
#       and CUDA) and names every other op as not provided; seconds;
#     compiled: the full mmcv with its compiled ops, built from the PyPI
#       sdist without build isolation (with isolation the ops are silently
#       skipped) and -std=c++20 (torch >= 2.14 headers need it). The wheel is
#       cached under a folder named after the torch version, Python and CUDA
#       flavour (cpu, or cu<version> when nvcc and a GPU are there), so a
#       CPU-only build never loads on a GPU machine and a torch change never
#       loads a wrong-ABI mmcv._ext. 13-25 minutes on 2 cores the first time;
#  4. xtcocotools rebuilt from its sdist against the pinned numpy 2;
#  5. mmpose 1.3.2 without its dependencies (it lists chumpy, which no longer
#     builds and which mmpose never imports; its real needs are in runtime.txt);
#  6. spinemm itself, editable.
# Nothing in site-packages is edited.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VENV=${SPINEMM_VENV:-$ROOT/.venv}
PYTHON=${PYTHON:-python3}
CACHE=${SPINEMM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/spinemm}
REQ=$ROOT/requirements
CONSTRAINTS=$REQ/constraints.txt
TORCH_VERSION=2.14.1
MMCV_VERSION=2.1.0
MMCV_MODE=${SPINEMM_MMCV:-lite}
case "$MMCV_MODE" in
    lite|compiled) ;;
    *) echo "SPINEMM_MMCV must be lite or compiled, not '$MMCV_MODE'" >&2; exit 2;;
esac

say() {
    if [ -t 2 ]; then printf '\033[1m[setup_env]\033[0m %s\n' "$*" >&2
    else printf '[setup_env] %s\n' "$*" >&2; fi
}

stamp_of() {
    { cat "$REQ"/*.txt "$ROOT/tools/misc/setup_env.sh" \
        "$ROOT"/packages/spinemm-mmcv-ext/setup.py \
        "$ROOT"/packages/spinemm-mmcv-ext/spinemm_mmcv_ext/*.py
      echo "mmcv=$MMCV_MODE"
      # the interpreter: the venv's own once it exists
      py=$PYTHON; [ -x "$VENV/bin/python" ] && py=$VENV/bin/python
      "$py" -c 'import sys; print(sys.version)'; } | sha256sum | cut -c1-16
}
STAMP_FILE=$VENV/.spinemm-env
WANT="$(stamp_of) $ROOT"

if [ -f "$STAMP_FILE" ] && [ "$(cat "$STAMP_FILE")" = "$WANT" ]; then
    exit 0
fi

full_install=yes
if [ -f "$STAMP_FILE" ] && [ "$(cut -d' ' -f1 "$STAMP_FILE")" = "$(stamp_of)" ]; then
    full_install=no
fi
if [ $full_install = yes ]; then
    # checked before anything is installed: the one C build left in the
    # default set-up (step 4) is xtcocotools: its PyPI wheels
    # are built for numpy 1.x, and numpy 2 is needed by pylibjpeg-openjpeg
    # 2.x (JPEG 2000 DICOM), opencv-python 4.14 and ml_dtypes (onnx)
    if ! command -v "${CC:-cc}" >/dev/null 2>&1 && ! command -v gcc >/dev/null 2>&1; then
        echo "setup_env: no C compiler on PATH (looked for ${CC:-cc} and gcc)." >&2
        echo "  xtcocotools, which mmpose imports, has PyPI wheels for numpy 1.x only and is" >&2
        echo "  built here from its sdist against numpy 2 (30-60 s). Install a C compiler" >&2
        echo "  (Debian: apt install gcc python3-dev) and run again; no C++ compiler is needed." >&2
        exit 1
    fi
fi

start=$(date +%s)
if [ ! -x "$VENV/bin/python" ]; then
    say "creating virtualenv $VENV"
    "$PYTHON" -m venv "$VENV"
fi
PY=$VENV/bin/python
PIP=("$PY" -m pip install --disable-pip-version-check -c "$CONSTRAINTS")

if [ $full_install = no ]; then
    # same pins, another checkout (e.g. a fresh clone reusing SPINEMM_VENV)
    say "requirements unchanged: re-pointing the editable install to $ROOT"
else
    say "1/6 torch $TORCH_VERSION + torchvision (first time: ~2 min, 5.5 GB)"
    "${PIP[@]}" -q torch torchvision setuptools wheel cython numpy

    say "2/6 runtime, OpenMMLab and test requirements"
    "${PIP[@]}" -q -r "$REQ/runtime.txt" -r "$REQ/mminstall.txt" \
        -r "$REQ/tests.txt"

    if [ "$MMCV_MODE" = lite ]; then
        say "3/6 mmcv-lite $MMCV_VERSION + spinemm-mmcv-ext (ops from torchvision, no compiler)"
        "$PY" -m pip uninstall -q -y mmcv 2>/dev/null || true
        "${PIP[@]}" -q --no-deps --force-reinstall "mmcv-lite==$MMCV_VERSION"
        "${PIP[@]}" -q --no-deps --no-build-isolation --force-reinstall \
            "$ROOT/packages/spinemm-mmcv-ext"
    else
    say "3/6 mmcv $MMCV_VERSION with compiled ops"
    "$PY" -m pip uninstall -q -y mmcv-lite spinemm-mmcv-ext 2>/dev/null || true
    torch_tag=$("$PY" - <<'PYEOF'
import shutil, sys, torch
cuda = (f'cu{torch.version.cuda.replace(".", "")}'
        if torch.version.cuda and torch.cuda.is_available()
        and shutil.which('nvcc') else 'cpu')
print(f'torch-{torch.__version__}-py{sys.version_info[0]}'
      f'{sys.version_info[1]}-{cuda}')
PYEOF
)
    wheel_dir=$CACHE/wheels/$torch_tag
    wheel=$(ls "$wheel_dir"/mmcv-"$MMCV_VERSION"-*.whl 2>/dev/null | head -n1 || true)
    if [ -z "$wheel" ]; then
        say "    no cached wheel for $torch_tag: building from the sdist (13-25 min on 2 cores)"
        build=$(mktemp -d)
        trap 'rm -rf "$build"' EXIT
        "$PY" -m pip download -q --no-deps --no-binary mmcv --no-build-isolation \
            "mmcv==$MMCV_VERSION" -d "$build"
        tar -xzf "$build/mmcv-$MMCV_VERSION.tar.gz" -C "$build"
        # torch >= 2.14 headers use C++20 features
        sed -i 's/-std=c++17/-std=c++20/g' "$build/mmcv-$MMCV_VERSION/setup.py"
        MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} "$PY" -m pip wheel -q \
            --no-deps --no-build-isolation "$build/mmcv-$MMCV_VERSION" \
            -w "$build/wheel"
        mkdir -p "$wheel_dir"
        built=$(ls "$build"/wheel/mmcv-*.whl)
        cp "$built" "$wheel_dir/.partial.whl"
        mv "$wheel_dir/.partial.whl" "$wheel_dir/$(basename "$built")"
        wheel=$wheel_dir/$(basename "$built")
    fi
    "${PIP[@]}" -q --no-deps --force-reinstall "$wheel"
    fi

    say "4/6 xtcocotools built against numpy $("$PY" -c 'import numpy; print(numpy.__version__)')"
    "${PIP[@]}" -q --no-binary xtcocotools --no-build-isolation xtcocotools

    say "5/6 mmpose without chumpy"
    "${PIP[@]}" -q --no-deps mmpose
fi

say "6/6 spinemm (editable)"
"${PIP[@]}" -q --no-deps --no-build-isolation -e "$ROOT"

"$PY" - <<'EOF'
import mmcv, mmdet, mmengine, mmpose, mmseg, torch, torchvision, xtcocotools
from mmcv.ops import RoIAlign, nms  # mmcv._ext: compiled, or from torchvision
import mmcv._ext
import spinemm
ops = getattr(mmcv._ext, 'PROVIDER', 'compiled mmcv')
print('torch', torch.__version__, '| torchvision', torchvision.__version__,
      '| mmengine', mmengine.__version__, '| mmcv', mmcv.__version__,
      f'(ops: {ops})', '| mmdet', mmdet.__version__, '| mmpose',
      mmpose.__version__, '| mmseg', mmseg.__version__, '| spinemm',
      spinemm.__version__)
EOF
echo "$WANT" > "$STAMP_FILE"
say "ready in $(( $(date +%s) - start )) s: $VENV"
