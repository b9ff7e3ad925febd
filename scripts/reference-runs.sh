#!/bin/sh
# Makes the three seeded 20k-step CPU runs that scripts/compare-runs.ts compares (issue 9's
# acceptance check): run folders run0..run2, weights w0..w2.npz and logs log0..log2.txt in <dir>.
#   npm run build && sh scripts/reference-runs.sh <dir>
#   npx tsx scripts/compare-runs.ts <reference-dir> <dir>
set -e
repo=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:?usage: sh scripts/reference-runs.sh <output-dir>}
mkdir -p "$dir" && cd "$dir"
run() { log=$1; shift; node "$repo/bin/train.js" --backend cpu --steps 20000 --no-video --final-eval-episodes 5 "$@" > "$log"; }
run log0.txt --seed 0 --out run0 --save w0.npz
run log1.txt --seed 1 --dueling --out run1 --save w1.npz
run log2.txt --preset seed --seed 2 --out run2 --save w2.npz
