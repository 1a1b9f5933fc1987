#!/usr/bin/env bash
# Every throughput benchmark in one go, on models made by airlabel's own GGUF writer (nothing downloaded):
# ~85M F16 and ~1M F16 llama models, each against llama-batched-bench with the same settings and threads.
# Usage: bash bench/run-all.sh [THREADS=1]   (needs npm run build; the ceiling builds once, 6-10 min on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-1}
mkdir -p models/bench
for spec in 85M 1M; do
  model=models/bench/airlabel-${spec}-f16.gguf
  [ -f "$model" ] || node dist/cli/main.js model create --output "$model" --parameters "$spec" --type f16 --seed 42 >&2
  echo "### $spec F16, $threads thread(s)"
  node bench/compare-ceiling.mjs --model "$model" --parallel 1,8,32 --threads "$threads" --svg "bench/throughput-${spec}.svg"
  echo
done
