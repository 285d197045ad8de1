"""The training-step profiler (spinemm.engine.profiling) on the tiny
phantom keypoint detector."""
import json
import sys

from conftest import ok, run_tool


def test_profile_parts_are_inside_the_forward(tiny_kpt):
    """Every part the detector has is timed, none takes longer than the
    forward that holds it, and the phases add up to the total."""
    cfg, _ = tiny_kpt
    out = ok(run_tool([sys.executable,
                       'tools/analysis_tools/profile_train_step.py', cfg,
                       '--iters', '1', '--warmup', '1', '--json']))
    r = json.loads(out.strip().splitlines()[-1])
    parts = r['parts']
    for label in ('backbone+neck', 'rpn', 'roi: box head',
                  'roi: mask head + targets', 'roi: mask targets',
                  'roi: keypoint head', 'roi: assign', 'roi: sample'):
        assert 0 < parts[label] <= r['forward_s'], label
    assert parts['roi: mask targets'] <= parts['roi: mask head + targets']
    phases = sum(r[k] for k in ('data_s', 'forward_s', 'backward_s',
                                'step_s'))
    assert abs(phases - r['total_s']) < 1e-6
    assert r['batch_size'] == 2
    assert abs(r['images_per_s'] - 2 / r['total_s']) < 1e-6
