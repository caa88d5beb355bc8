#!/usr/bin/env bash
# Ours vs PyTorch, whole DCGAN training iterations, same machine, same run.
#
# Builds Release, then for each configuration runs `dcgan bench step` and bench/pytorch_dcgan_step.py back to
# back (ours first, then PyTorch, per configuration) and prints images/s of each, the ratio ours/PyTorch, and ours'
# useful conv GFLOP/s as a share of the device's FP32 peak (`bench step`'s "useful work"):
#   64px   64x64 RGB, batch 64, ngf = ndf = 64 (pytorch/examples' CelebA setting)
#   32px   32x32 grayscale, batch 64, ngf = ndf = 64 (`dcgan train`'s default)
#   default  32x32 grayscale, batch 16: the default run's configuration
#   wgan-gp  32x32 grayscale, batch 64, the wgan-gp recipe: five critic steps with the gradient penalty (ours: the
#            hand-written double backward; PyTorch: autograd's create_graph=True), then G's step
#
# usage: bench/compare.sh [--device opencl|cuda|cpu|auto] [--iterations N] [--warmup N] [--out DIR] [--no-build]
#                         [--configs "64px 32px"] [--rounds N]
# --rounds N (default 2) alternates ours and PyTorch N times per configuration and reports the median images/s of
# each over the rounds: on a shared machine the load changes within minutes, and alternating spreads it over both.
# Environment: PYTHON (default /usr/bin/python3), DCGAN (a dcgan command to use instead of the Release build,
# e.g. a self-contained publish), TORCH_DEVICE (default: cuda when --device is cuda, else cpu), TORCH_THREADS
# (default: every CPU), TORCH_ENV (extra `env` assignments for the PyTorch run only, e.g. "-u OPENBLAS_CORETYPE").
# JSON per run goes to DIR (default bench/results/<date>), plus summary.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

device=opencl iterations=5 warmup=2 build=1 configs="default 64px 32px" rounds=2
out="bench/results/$(date -u +%Y-%m-%dT%H%M%SZ)"
while [ $# -gt 0 ]; do
  case "$1" in
    --device) device=$2; shift 2 ;;
    --iterations) iterations=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --configs) configs=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n 2,18p "$0"; exit 0 ;;
    *) echo "compare.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
python=${PYTHON:-/usr/bin/python3}
torch_device=${TORCH_DEVICE:-$([ "$device" = cuda ] && echo cuda || echo cpu)}
torch_threads=${TORCH_THREADS:-$(nproc)}
mkdir -p "$out"

if [ -n "${DCGAN:-}" ]; then
  read -r -a dcgan <<<"$DCGAN"
else
  if [ "$build" = 1 ]; then
    dotnet build -c Release Dcgan.Cli/Dcgan.Cli.csproj 2>&1 | grep -E "error|Warn|rror\(s\)" || true
  fi
  dcgan=(dotnet Dcgan.Cli/bin/Release/net10.0/dcgan.dll)
fi

have_torch=1
"$python" -c "import torch" 2>/dev/null || { have_torch=0; echo "compare.sh: no torch for $python: PyTorch runs skipped" >&2; }

json_field() { "$python" -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }

summary=()
# A reused --out folder starts a fresh rounds.txt (its summary.txt is rewritten below): earlier runs' lines would
# otherwise come first in the summary.
: > "$out/rounds.txt"
for cfg in $configs; do
  case "$cfg" in
    64px) args=(--image-size 64 --channels 3 --batch-size 64 --ngf 64 --ndf 64 --nz 100) ;;
    32px) args=(--image-size 32 --channels 1 --batch-size 64 --ngf 64 --ndf 64 --nz 100) ;;
    default) args=(--image-size 32 --channels 1 --batch-size 16 --ngf 64 --ndf 64 --nz 100) ;;
    wgan-gp) args=(--image-size 32 --channels 1 --batch-size 64 --ngf 64 --ndf 64 --nz 100 --recipe wgan-gp) ;;
    *) echo "compare.sh: unknown config $cfg (64px, 32px, default, wgan-gp)" >&2; exit 2 ;;
  esac
  ours_runs=() theirs_runs=() peak_runs=()
  for round in $(seq 1 "$rounds"); do
    echo "=== $cfg round $round/$rounds: ours (dcgan bench step --device $device) ==="
    "${dcgan[@]}" bench step --device "$device" "${args[@]}" --iterations "$iterations" --warmup "$warmup" \
      --json "$out/ours-$cfg-$round.json" | tee "$out/ours-$cfg-$round.txt"
    ours_runs+=("$(json_field "$out/ours-$cfg-$round.json" images_per_second)")
    peak_runs+=("$(json_field "$out/ours-$cfg-$round.json" percent_of_peak)")
    if [ "$have_torch" = 1 ]; then
      echo "=== $cfg round $round/$rounds: PyTorch ($torch_device, $torch_threads threads${TORCH_ENV:+, env $TORCH_ENV}) ==="
      # shellcheck disable=SC2086
      env ${TORCH_ENV:-} "$python" bench/pytorch_dcgan_step.py --device "$torch_device" "${args[@]}" \
        --iterations "$iterations" --warmup "$warmup" --threads "$torch_threads" --json "$out/pytorch-$cfg-$round.json" \
        | tee "$out/pytorch-$cfg-$round.txt"
      theirs_runs+=("$(json_field "$out/pytorch-$cfg-$round.json" images_per_second)")
    fi
  done
  median() { printf '%s\n' "$@" | "$python" -c "import statistics,sys; print(statistics.median(float(l) for l in sys.stdin))"; }
  ours=$(median "${ours_runs[@]}")
  if [ "$have_torch" = 1 ]; then
    theirs=$(median "${theirs_runs[@]}")
    ratio=$("$python" -c "print(f'{$ours / $theirs:.2f}')")
    # Each round runs ours and PyTorch a minute apart: the median of the per-round ratios is the steadier figure where
    # one side had a slow minute.
    round_ratios=$("$python" -c "import statistics,sys; o,t=sys.argv[1].split(),sys.argv[2].split(); r=[float(a)/float(b) for a,b in zip(o,t)]; print(' '.join(f'{x:.2f}' for x in r), f'(median {statistics.median(r):.2f})')" "${ours_runs[*]}" "${theirs_runs[*]}")
    ratio="$ratio, per round $round_ratios"
  else
    theirs="n/a" ratio="n/a"
  fi
  echo "$cfg rounds: ours ${ours_runs[*]}  pytorch ${theirs_runs[*]:-n/a}" >> "$out/rounds.txt"
  [ "$theirs" != n/a ] && theirs=$(printf '%.1f' "$theirs")
  # Ours' useful conv GFLOP/s as a share of the FP32 peak probe (None: a penalty recipe, not counted).
  peak=$(printf '%s\n' "${peak_runs[@]}" | "$python" -c "import statistics,sys; v=[float(l) for l in sys.stdin if l.strip() != 'None']; print(f'{statistics.median(v):.0f}%' if v else 'n/a')")
  summary+=("$(printf '%-6s ours %8.1f img/s   pytorch %8s img/s   ours/pytorch %s   ours %s of the FP32 peak' "$cfg" "$ours" "$theirs" "$ratio" "$peak")")
done

echo
echo "=== summary ($(date -u +%Y-%m-%d), ours on $device, PyTorch on $torch_device; median images/s of $rounds alternating rounds) ===" | tee "$out/summary.txt"
cat "$out/rounds.txt" | tee -a "$out/summary.txt"
printf '%s\n' "${summary[@]}" | tee -a "$out/summary.txt"
echo "results in $out"
