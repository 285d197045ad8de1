#!/usr/bin/env bash
# Train the quickstart config, test it, print COCO AP and keep overlay pictures.
#   bash tools/misc/quickstart.sh [CONFIG] [WORK_DIR]      (needs data/phantom2d)
set -euo pipefail
CONFIG=${1:-configs/quickstart/cascade-mask-rcnn_r18_fpn_phantom.py}
WORK=${2:-work_dirs/quickstart}
PYTHON=${PYTHON:-python}

start=$(date +%s)
"$PYTHON" tools/train.py "$CONFIG" --work-dir "$WORK"
trained=$(date +%s)
ckpt=$(cat "$WORK/last_checkpoint")
"$PYTHON" tools/test.py "$CONFIG" "$ckpt" --work-dir "$WORK/test" \
    --show-dir overlays 2>&1 | tee "$WORK/test.log"
"$PYTHON" tools/misc/summarize_test.py "$WORK/test" \
    --train-seconds $((trained - start)) --total-seconds $(( $(date +%s) - start ))
