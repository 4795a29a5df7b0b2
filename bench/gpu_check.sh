#!/usr/bin/env bash
# One call on a machine with CUDA: fp16/bf16 against fp32, then the benchmark; short table last.
# Usage: bench/gpu_check.sh [OUT_DIR]   (writes OUT_DIR/gpu_bench_{fp32,bf16}.json)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-${OUT:-gpu_check_output}}"
PY="${PY:-python}"
[ -x .venv/bin/python ] && PY=.venv/bin/python
mkdir -p "$OUT"
"$PY" - <<'PYEOF'
import numpy as np
import torch
from bench.run import make_model
from looptrans_core.affordances import SEEN_AFFORDANCES
from looptrans_core.grounder import Grounder
assert torch.cuda.is_available(), 'no CUDA device here'
image = np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8)
maps = {}
for precision in ('fp32', 'fp16', 'bf16'):
    grounder = Grounder(make_model(), SEEN_AFFORDANCES, 'cuda', precision)
    maps[precision] = np.stack([r.heatmap for r in grounder.ground(image).values()])
for precision in ('fp16', 'bf16'):
    diff = float(np.abs(maps[precision] - maps['fp32']).max())
    print(f'check {precision} vs fp32 max abs map diff {diff:.4f} '
          f"{'ok' if diff <= 1e-2 else 'MISS'} (limit 0.01)")
PYEOF
"$PY" -m bench --device cuda --precision fp32 --quick --batch 64 --json "$OUT/gpu_bench_fp32.json" \
    > "$OUT/gpu_bench_fp32.txt"
"$PY" -m bench --device cuda --precision bf16 --quick --batch 64 --json "$OUT/gpu_bench_bf16.json" \
    > "$OUT/gpu_bench_bf16.txt"
"$PY" - "$OUT" <<'PYEOF'
import json, sys
out = sys.argv[1]
rows = ('one_action_ms', 'all_actions_ms', 'baseline_one_action_ms', 'backbone_floor_ms',
        'batch64_images_per_s', 'peak_device_mib')
runs = {p: json.load(open(f'{out}/gpu_bench_{p}.json')) for p in ('fp32', 'bf16')}
print(f"{'figure':26s} {'fp32':>10s} {'bf16':>10s}")
for row in rows:
    print(f'{row:26s} ' + ' '.join(f'{runs[p].get(row, float("nan")):10.2f}' for p in runs))
bf16 = runs['bf16']
print(f"single stream frames/s (bf16): {1000 / bf16['one_action_ms']:.0f} (target >= 300)")
print(f"batched images/s (bf16): {bf16['batch64_images_per_s']:.0f} (target >= 1000)")
PYEOF
