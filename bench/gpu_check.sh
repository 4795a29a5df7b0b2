#!/usr/bin/env bash
# One call on a machine with CUDA: fp16/bf16 against fp32, then the benchmark; short table last.
# Usage: bench/gpu_check.sh [OUT_DIR]   (writes OUT_DIR/gpu_bench.json and gpu_bench.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-${OUT:-gpu_check_output}}"
PY="${PY:-python}"
[ -x .venv/bin/python ] && PY=.venv/bin/python
mkdir -p "$OUT"
"$PY" - <<'PYEOF'
import numpy as np
import torch
from bench.contenders import make_model
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
"$PY" -m bench --device cuda --quick --batch 64 --json "$OUT/gpu_bench.json" > "$OUT/gpu_bench.txt"
"$PY" - "$OUT" <<'PYEOF'
import json, sys
run = json.load(open(f'{sys.argv[1]}/gpu_bench.json'))
figures = run['figures']
print(f"{'figure':26s} {'min ms':>10s} {'median ms':>10s}")
for name in ('torch_fp32_one', 'torch_bf16_one', 'torch_fp32_all', 'torch_bf16_all',
             'published_one', 'torch_fp32_backbone_floor'):
    print(f"{name:26s} {figures[name]['min_ms']:10.2f} {figures[name]['median_ms']:10.2f}")
print(f"peak device MiB: {run.get('peak_device_mib', float('nan')):.0f}")
one = figures['torch_bf16_one']['median_ms']
print(f'single stream frames/s (bf16): {1000 / one:.0f} (target >= 300)')
print(f"batched images/s (bf16): {run['torch_bf16_batch64_images_per_s']:.0f} (target >= 1000)")
PYEOF
