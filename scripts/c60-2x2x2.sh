#!/usr/bin/env bash
# HOMO/LUMO of the C60 FCC 2×2×2 supercell (N = 61,440 orbitals), computed twice with
# different compression tolerances and leaf sizes; the two runs' brackets must overlap.
#
# usage: scripts/c60-2x2x2.sh [OUT_DIR]      (default: c60-2x2x2/; needs python3 for the check)
# Each run takes about an hour on 2 cores and peaks near 21 GB (tol 1e-5) / less (tol 1e-4).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-c60-2x2x2}
mkdir -p "$OUT"
cargo build --release --quiet
BIN=${CARGO_TARGET_DIR:-target}/release/hmatrix
XYZ=$OUT/c60_222.xyz
# the supercell of examples/c60_scaling.rs: 2×2×2 copies of the shipped 1×1×1 cell,
# ±0.1 Å uniform noise, seed 1
"$BIN" elses-supercell --cell data/c60_fcc_1x1x1_n7680.xyz --repeat 2,2,2 --noise 0.1 --seed 1 --out "$XYZ"
for cfg in "1e-5 256" "1e-4 512"; do
  read -r tol leaf <<<"$cfg"
  /usr/bin/time -v "$BIN" eig --elses "$XYZ" --range 30720:30721 --tol "$tol" --leaf "$leaf" --json \
    > "$OUT/tol${tol}_leaf${leaf}.json" 2> "$OUT/tol${tol}_leaf${leaf}.time"
  grep -E "Elapsed|Maximum resident" "$OUT/tol${tol}_leaf${leaf}.time"
done
python3 - "$OUT/tol1e-5_leaf256.json" "$OUT/tol1e-4_leaf512.json" <<'PY'
import json, sys
runs = [json.load(open(f)) for f in sys.argv[1:]]
ok = True
for i, name in enumerate(["HOMO", "LUMO"]):
    a, b = (r["eigenvalues"][i] for r in runs)
    overlap = max(a["lower"], b["lower"]) <= min(a["upper"], b["upper"])
    ok &= overlap
    print(f"{name} k={a['k']}: {a['value']:.12f} [{a['lower']:.12f}, {a['upper']:.12f}]"
          f" vs {b['value']:.12f} [{b['lower']:.12f}, {b['upper']:.12f}]: {'overlap' if overlap else 'DISJOINT'}")
sys.exit(0 if ok else 1)
PY
