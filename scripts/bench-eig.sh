#!/usr/bin/env bash
# The eigenvalue benchmark suite: hmatrix against LAPACK, ScaLAPACK and ELPA on the same
# matrices, one JSON record per solver run (schema: docs/bench/README.md).
#
# usage: scripts/bench-eig.sh CORES [N_LIST] [options]
#   CORES              threads for hmatrix/dsyevr/dsyevd, MPI ranks (1 OpenBLAS thread
#                      each) for pdsyevx/pdsyevr/elpa1/elpa2
#   N_LIST             comma-separated sizes (default 1024,2048,4096; --quick: 512)
#   --quick            yukawa-sphere only, k = N/2 only (the CI smoke test)
#   --out FILE         append records here (default docs/bench/eig.jsonl)
#   --problems LIST    from yukawa-sphere,matern32-ball,c60 (default all three; c60 is the
#                      ELSES C60 1x1x1 crystal data/c60_fcc_1x1x1_n7680.xyz, N = 7680,
#                      run once whatever N_LIST says)
#   --solvers LIST     default dsyevr,dsyevd,pdsyevx,pdsyevr,elpa1,elpa2,hmatrix (also:
#                      hmatrix-skel, the skeletonization counts without an H² matrix; dsyevr
#                      first: it is the reference of abs_err and of the final check)
#   --dense-max-n N    skip the six dense solvers above this N (default 8192)
#   --dense-timeout S  kill a dense solver run after S seconds and skip it (default: none)
#   --nugget X         nugget of matern32-ball (default 1e-2)
#   --tol X            hmatrix compression tolerance for every problem (default: per
#                      problem and window, the loosest meeting 1e-8·‖A‖₂ in the report:
#                      yukawa-sphere 1e-4 (nev 1) / 1e-5 (nev 64), matern32-ball 1e-5 /
#                      1e-7, c60 1e-5; hmatrix-skel 1e-7)
#   --windows LIST     nev values to run: 1 (k = N/2) and/or 64 (N/2−31 … N/2+32);
#                      default 1,64 (--quick: 1)
#   --leaf L           hmatrix leaf size (default: the library's)
#   --no-build         use the already built bench_eig
# For each problem and N it runs every solver for k = N/2 (nev 1) and, unless --quick, for
# the 64 eigenvalues N/2−31 … N/2+32, prints one summary line per record, and at the end
# checks that all solvers agree with dsyevr to 1e-8·‖A‖₂ (exit 1 if not, or if a run
# failed). Installs nothing; needs the packages of docs/bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "bench-eig: $*" >&2; exit 2; }
[[ $# -ge 1 && $1 =~ ^[0-9]+$ && $1 -ge 1 ]] || die "usage: scripts/bench-eig.sh CORES [N_LIST] [--quick] [options] (see the header)"
CORES=$1; shift
NLIST=""
if [[ $# -ge 1 && $1 != --* ]]; then NLIST=$1; shift; fi
QUICK=0 OUT=docs/bench/eig.jsonl PROBLEMS="" SOLVERS="dsyevr,dsyevd,pdsyevx,pdsyevr,elpa1,elpa2,hmatrix"
DENSE_MAX_N=8192 DENSE_TIMEOUT=0 NUGGET=1e-2 TOL="" BUILD=1 WINDOWS="" LEAF=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --quick) QUICK=1; shift ;;
    --out) OUT=$2; shift 2 ;;
    --problems) PROBLEMS=$2; shift 2 ;;
    --solvers) SOLVERS=$2; shift 2 ;;
    --dense-max-n) DENSE_MAX_N=$2; shift 2 ;;
    --dense-timeout) DENSE_TIMEOUT=$2; shift 2 ;;
    --nugget) NUGGET=$2; shift 2 ;;
    --tol) TOL=$2; shift 2 ;;
    --windows) WINDOWS=$2; shift 2 ;;
    --leaf) LEAF=(--leaf "$2"); shift 2 ;;
    --no-build) BUILD=0; shift ;;
    *) die "unknown option $1" ;;
  esac
done
if [[ $QUICK == 1 ]]; then NLIST=${NLIST:-512} PROBLEMS=${PROBLEMS:-yukawa-sphere} WINDOWS=${WINDOWS:-1}; fi
WINDOWS=${WINDOWS:-1,64}
NLIST=${NLIST:-1024,2048,4096} PROBLEMS=${PROBLEMS:-yukawa-sphere,matern32-ball,c60}

if [[ $BUILD == 1 ]]; then
  cargo build --release --quiet -p hmatrix-bench --features elpa --example bench_eig
fi
BIN=${CARGO_TARGET_DIR:-target}/release/examples/bench_eig
[[ -x $BIN ]] || die "$BIN not found (build with: cargo build --release -p hmatrix-bench --features elpa --example bench_eig)"
command -v mpirun >/dev/null || die "mpirun not found (apt-get install openmpi-bin)"
if [[ $(id -u) == 0 ]]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
if [[ $CORES -gt $(nproc) ]]; then export OMPI_MCA_rmaps_base_oversubscribe=1; fi

RUN=$(mktemp --suffix=.jsonl)   # this run's records: the reference and the final check
trap 'rm -f "$RUN"' EXIT
mkdir -p "$(dirname "$OUT")"
FAILED=0

# tol_for SOLVER: --tol, else the report's tolerance for $PROBLEM and $NEV (see the header)
tol_for() {
  if [[ -n $TOL ]]; then echo "$TOL"; return; fi
  case "$1:$PROBLEM:$NEV" in
    hmatrix-skel:*) echo 1e-7 ;;
    hmatrix:yukawa-sphere:1) echo 1e-4 ;;
    hmatrix:matern32-ball:64) echo 1e-7 ;;
    *) echo 1e-5 ;;
  esac
}

# run_one SOLVER N PROBLEM-ARGS... : one record, or a skip line
run_one() {
  local solver=$1 n=$2; shift 2
  local cmd
  case $solver in
    hmatrix|hmatrix-skel)
      cmd=(env OPENBLAS_NUM_THREADS=1 "$BIN" --solver "$solver" --threads "$CORES" --tol "$(tol_for "$solver")" "${LEAF[@]}") ;;
    dsyevr|dsyevd) cmd=(env OPENBLAS_NUM_THREADS="$CORES" "$BIN" --solver "$solver" --threads "$CORES") ;;
    *) cmd=(env OPENBLAS_NUM_THREADS=1 mpirun -np "$CORES" -x OPENBLAS_NUM_THREADS "$BIN" --solver "$solver") ;;
  esac
  if [[ $solver != hmatrix* ]]; then
    if [[ $n -gt $DENSE_MAX_N ]]; then echo "skip     $solver n=$n (> --dense-max-n $DENSE_MAX_N)"; return; fi
    if [[ $DENSE_TIMEOUT != 0 ]]; then cmd=(timeout "$DENSE_TIMEOUT" "${cmd[@]}"); fi
  fi
  local rc=0
  "${cmd[@]}" "$@" --reference "$RUN" --out "$RUN" --out "$OUT" || rc=$?
  if [[ $rc == 124 ]]; then
    echo "skip     $solver n=$n (over --dense-timeout ${DENSE_TIMEOUT}s)"
  elif [[ $rc != 0 ]]; then
    echo "FAILED   $solver n=$n (exit $rc): ${cmd[*]} $*" >&2
    FAILED=$((FAILED + 1))
  fi
}

# run_problem N PROBLEM-ARGS... : every solver, for each window
run_problem() {
  local n=$1; shift
  local windows=()
  if [[ ,$WINDOWS, == *,1,* ]]; then windows+=("$((n / 2)) 1"); fi
  if [[ ,$WINDOWS, == *,64,* && $n -ge 128 ]]; then windows+=("$((n / 2 - 31)) 64"); fi
  for w in "${windows[@]}"; do
    read -r k nev <<<"$w"
    NEV=$nev
    echo "# $* (n = $n): k = $k, nev = $nev, $CORES cores"
    for s in ${SOLVERS//,/ }; do run_one "$s" "$n" "$@" --k "$k" --nev "$nev"; done
  done
}

for p in ${PROBLEMS//,/ }; do
  PROBLEM=$p
  case $p in
    yukawa-sphere) for n in ${NLIST//,/ }; do run_problem "$n" --kernel yukawa --geometry sphere --n "$n"; done ;;
    matern32-ball)
      for n in ${NLIST//,/ }; do run_problem "$n" --kernel matern32 --geometry ball --n "$n" --nugget "$NUGGET"; done ;;
    c60) run_problem 7680 --elses data/c60_fcc_1x1x1_n7680.xyz --name c60-1x1x1 ;;
    *) die "unknown problem $p (yukawa-sphere, matern32-ball, c60)" ;;
  esac
done

echo "# records appended to $OUT"
CHECK=0
"$BIN" --check "$RUN" --check-tol 1e-8 || CHECK=$?
if [[ $FAILED != 0 ]]; then echo "bench-eig: $FAILED solver run(s) failed" >&2; exit 1; fi
if [[ $CHECK != 0 ]]; then echo "bench-eig: solvers disagree (see above)" >&2; exit 1; fi
