#!/usr/bin/env bash
# Strong scaling of spectrum slicing under MPI: the same query on P = 1, 2, 4, … ranks,
# each with CORES/P threads, one JSON line per run appended to OUT (examples/slicing.rs:
# construction and query times, counts, rounds, peak memory per rank, the job trace).
#
#   scripts/mpi-scaling.sh [--cores C] [--ranks "1 2 4 8 16"] [--out FILE] [-- slicing args]
#
# e.g. on a 16-core node: scripts/mpi-scaling.sh --cores 16 -- --n 65536 --range 32737:32800 --repeat 3
# Needs libopenmpi-dev openmpi-bin libclang1-14 libclang-common-14-dev (as .ci/run installs).
set -euo pipefail
cd "$(dirname "$0")/.."
cores=$(nproc)
ranks="1 2 4 8 16"
out=docs/bench/mpi_scaling.jsonl
while [[ $# -gt 0 ]]; do
  case $1 in
    --cores) cores=$2; shift 2 ;;
    --ranks) ranks=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "mpi-scaling: unknown option $1" >&2; exit 2 ;;
  esac
done
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cargo build --release -q -p hmatrix-bench --features mpi --example slicing
mkdir -p "$(dirname "$out")"
for p in $ranks; do
  (( p <= cores )) || { echo "mpi-scaling: skipping P = $p > $cores cores" >&2; continue; }
  threads=$(( cores / p ))
  echo "mpi-scaling: P = $p × $threads threads" >&2
  # --bind-to none: the ranks' rayon threads may use every core they were given
  mpirun --bind-to none -np "$p" target/release/examples/slicing --threads "$threads" "$@" \
    | sed "s/^{/{\"machine\":\"$(uname -n) $(nproc) cores\",/" >>"$out"
done
