#!/usr/bin/env bash
# GPU benchmark bundle: build here (with .NET), run on a lent GPU machine (no .NET, no network).
#
#   scripts/gpu-bench.sh pack              here: self-contained linux-x64 publish of the CLI (`dcgan`) and of the
#                                          test project (as an executable: NUnit's own runner on
#                                          Microsoft.Testing.Platform, so no SDK is needed to run the tests), packed
#                                          into gpu-bench/dcgan-gpu.tar.xz; fails if the archive exceeds 64 MiB.
#   scripts/gpu-bench.sh run [--device D]  there (or here, as a dry run with --device opencl): unpacks the archive
#                                          and runs, each under its own time limit, all within ~9 minutes, the
#                                          most wanted figures first (so a run cut short still compares):
#                                            dcgan devices; dcgan gradcheck; dcgan bench step for 64x64 RGB and
#                                            32x32 grayscale at batch 64, for the default run (32x32 grey,
#                                            batch 16) and for --recipe wgan-gp (32x32 grey, batch 64), ngf = ndf
#                                            = 64; bench/pytorch_dcgan_step.py on CUDA (TF32 off) for the same
#                                            four when python3 has a CUDA-enabled torch
#                                            (skipped, and said so, otherwise); the first three bench steps
#                                            again with every conv on variant 10, then 8 (on CUDA: the candidates
#                                            for its dispatch); dcgan bench kernels; the test
#                                            fixtures of the device's backend (…Cuda or …OpenCl).
#                                          Everything goes to $OUT (default ./gpu-bench-out): one log per step,
#                                          JSON results, and summary.txt with images/s and the ours/PyTorch ratios.
# On the device machine: carry gpu-bench/ (the archive) and run `scripts/gpu-bench.sh run`.
# Options of run: --device D (default cuda), --archive FILE, --quick (fewer iterations: a dry run on a CPU),
# --bundle (pack every result file into results.tgz beside summary.txt: the device tool returns at most 8 files),
# --deadline SECONDS (the whole run's budget: each step's limit is cut to what is left and the last ones are skipped,
# so the bundle is always made inside the device call).
# The device call (one, carrying gpu-bench/, timeout_s = the deadline + ~60 s for unpacking and the bundle):
#   OUT=$OUT scripts/gpu-bench.sh run --deadline 420 --bundle > $OUT/run.log 2>&1; cat $OUT/summary.txt
# Environment: OUT (results folder), PYTHON (default python3) for the PyTorch run.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
archive_default="$root/gpu-bench/dcgan-gpu.tar.xz"
limit_bytes=$((64 * 1024 * 1024))

pack() {
  set -e
  local stage; stage=$(mktemp -d)
  echo "publishing dcgan (self-contained linux-x64) ..."
  dotnet publish "$root/Dcgan.Cli/Dcgan.Cli.csproj" -c Release -r linux-x64 --self-contained \
    -p:DebugType=none -p:GenerateDocumentationFile=false -o "$stage/app" 2>&1 | grep -E "error|rror\(s\)|->" || true
  echo "publishing the tests (self-contained executable, NUnit runner) ..."
  dotnet publish "$root/Dcgan.Tests/Dcgan.Tests.csproj" -c Release -r linux-x64 --self-contained \
    -p:DcganTestsExe=true -p:DebugType=none -o "$stage/app" 2>&1 | grep -E "error|rror\(s\)|->" || true
  [ -x "$stage/app/dcgan" ] || { echo "gpu-bench: dcgan publish failed" >&2; exit 1; }
  [ -x "$stage/app/Dcgan.Tests" ] || { echo "gpu-bench: test publish failed" >&2; exit 1; }
  mkdir -p "$stage/bench"
  cp "$root/bench/pytorch_dcgan_step.py" "$root/Dcgan.Tests/PyTorch/dcgan_reference.py" "$stage/bench/"
  git -C "$root" rev-parse --short HEAD > "$stage/COMMIT" 2>/dev/null || echo unknown > "$stage/COMMIT"
  mkdir -p "$(dirname "$archive_default")"
  # Both apps are published into one folder, so they share one copy of the .NET runtime and of our assemblies
  # (each keeps its own .deps.json and .runtimeconfig.json).
  tar -C "$stage" -cf - . | xz -T0 -9 > "$archive_default"
  rm -rf "$stage"
  local size; size=$(stat -c %s "$archive_default")
  printf 'archive %s: %.1f MiB (limit 64 MiB)\n' "$archive_default" "$(echo "$size / 1048576" | bc -l)"
  [ "$size" -le "$limit_bytes" ] || { echo "gpu-bench: archive over 64 MiB" >&2; exit 1; }
}

run() {
  local device=cuda archive=$archive_default quick=0 bundle=0 deadline=0
  while [ $# -gt 0 ]; do
    case "$1" in
      --device) device=$2; shift 2 ;;
      --deadline) deadline=$2; shift 2 ;;
      --archive) archive=$2; shift 2 ;;
      --quick) quick=1; shift ;;
      --bundle) bundle=1; shift ;;
      *) echo "gpu-bench run: unknown argument $1" >&2; return 2 ;;
    esac
  done
  local out=${OUT:-$PWD/gpu-bench-out}
  mkdir -p "$out"
  local dir; dir=$(mktemp -d)
  local start=$SECONDS
  tar -C "$dir" -xJf "$archive" || { echo "gpu-bench: cannot unpack $archive" >&2; return 1; }
  local dcgan="$dir/app/dcgan" tests="$dir/app/Dcgan.Tests"
  local iters=5 warm=2 runs=5
  [ "$quick" = 1 ] && iters=2 warm=1 runs=3
  local fixture; case "$device" in cuda*) fixture=Cuda ;; opencl*) fixture=OpenCl ;; *) fixture=Cpu ;; esac
  export DCGAN_COMMIT; DCGAN_COMMIT=$(cat "$dir/COMMIT")
  echo "gpu-bench run: device $device, commit $DCGAN_COMMIT, results in $out" | tee "$out/summary.txt"

  # step NAME SECONDS COMMAND...: runs with a time limit, logs to $out/NAME.log, records the exit status. With
  # --deadline, the limit is cut to the time left, and a step with under 15 s left is skipped (and said so).
  step() {
    local name=$1 limit=$2; shift 2
    local t0=$SECONDS
    if [ "$deadline" -gt 0 ]; then
      local left=$((deadline - (SECONDS - start)))
      if [ "$left" -lt 15 ]; then
        printf '%-22s %-22s %4ds\n' "$name" "SKIPPED (deadline)" 0 | tee -a "$out/summary.txt"
        return 1
      fi
      [ "$left" -lt "$limit" ] && limit=$left
    fi
    timeout --kill-after=10 "$limit" "$@" > "$out/$name.log" 2>&1
    local rc=$?
    local what=ok; [ $rc -ne 0 ] && what="exit $rc"; [ $rc -eq 124 ] && what="TIMED OUT after ${limit}s"
    printf '%-22s %-22s %4ds\n' "$name" "$what" $((SECONDS - t0)) | tee -a "$out/summary.txt"
    return $rc
  }

  step devices 30 "$dcgan" devices
  nvidia-smi > "$out/nvidia-smi.log" 2>&1 || true
  step gradcheck 60 "$dcgan" gradcheck --device "$device" || true
  local cfg64=(--image-size 64 --channels 3 --batch-size 64 --ngf 64 --ndf 64 --nz 100)
  local cfg32=(--image-size 32 --channels 1 --batch-size 64 --ngf 64 --ndf 64 --nz 100)
  # The default run's configuration (`dcgan train` with no options): 32x32 grey, batch 16.
  local cfg16=(--image-size 32 --channels 1 --batch-size 16 --ngf 64 --ndf 64 --nz 100)
  step bench-step-64px 60 "$dcgan" bench step --device "$device" "${cfg64[@]}" --iterations $iters --warmup $warm \
    --json "$out/ours-64px.json" || true
  step bench-step-32px 60 "$dcgan" bench step --device "$device" "${cfg32[@]}" --iterations $iters --warmup $warm \
    --json "$out/ours-32px.json" || true
  step bench-step-32px-b16 60 "$dcgan" bench step --device "$device" "${cfg16[@]}" --iterations $iters --warmup $warm \
    --json "$out/ours-32px-b16.json" || true
  # WGAN-GP: five critic steps with the hand-written double backward vs autograd's create_graph=True.
  step bench-step-wgan-gp 60 "$dcgan" bench step --device "$device" "${cfg32[@]}" --recipe wgan-gp --iterations $iters \
    --warmup $warm --json "$out/ours-wgan-gp.json" || true
  # The whole step with every conv pass on one candidate GEMM for the GPU dispatch (8: 2D block tiles; 10: the same
  # with coalesced staging and split-K), after the dispatch's own figures above and before PyTorch's.
  local candidates=10,8; case "$device" in cuda*) ;; *) candidates=10 ;; esac
  local v
  for v in ${candidates//,/ }; do
    step bench-step-64px-v$v 60 "$dcgan" bench step --device "$device" "${cfg64[@]}" --conv-variant "$v" --iterations $iters \
      --warmup $warm --json "$out/ours-64px-v$v.json" || true
    step bench-step-32px-v$v 60 "$dcgan" bench step --device "$device" "${cfg32[@]}" --conv-variant "$v" --iterations $iters \
      --warmup $warm --json "$out/ours-32px-v$v.json" || true
    step bench-step-b16-v$v 60 "$dcgan" bench step --device "$device" "${cfg16[@]}" --conv-variant "$v" --iterations $iters \
      --warmup $warm --json "$out/ours-32px-b16-v$v.json" || true
  done
  local python=${PYTHON:-python3}
  if "$python" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" > "$out/torch-check.log" 2>&1; then
    step pytorch-64px 60 "$python" "$dir/bench/pytorch_dcgan_step.py" --device cuda "${cfg64[@]}" --iterations $iters \
      --warmup $warm --json "$out/pytorch-64px.json" || true
    step pytorch-32px 60 "$python" "$dir/bench/pytorch_dcgan_step.py" --device cuda "${cfg32[@]}" --iterations $iters \
      --warmup $warm --json "$out/pytorch-32px.json" || true
    step pytorch-32px-b16 60 "$python" "$dir/bench/pytorch_dcgan_step.py" --device cuda "${cfg16[@]}" --iterations $iters \
      --warmup $warm --json "$out/pytorch-32px-b16.json" || true
    step pytorch-wgan-gp 60 "$python" "$dir/bench/pytorch_dcgan_step.py" --device cuda "${cfg32[@]}" --recipe wgan-gp \
      --iterations $iters --warmup $warm --json "$out/pytorch-wgan-gp.json" || true
  else
    echo "pytorch                skipped: no python3 with a CUDA-enabled torch ($(tail -1 "$out/torch-check.log"))" | tee -a "$out/summary.txt"
  fi
  for cfg in 64px 32px 32px-b16 wgan-gp; do
    local ours theirs
    ours=$(sed -n 's/.*"images_per_second": \([0-9.eE+-]*\).*/\1/p' "$out/ours-$cfg.json" 2>/dev/null | head -1)
    theirs=$(sed -n 's/.*"images_per_second": \([0-9.eE+-]*\).*/\1/p' "$out/pytorch-$cfg.json" 2>/dev/null | head -1)
    local ratio=n/a
    [ -n "$ours" ] && [ -n "$theirs" ] && ratio=$(awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "%.2f", a / b }')
    echo "$cfg images/s: ours ${ours:-n/a}  pytorch ${theirs:-n/a}  ours/pytorch $ratio" | tee -a "$out/summary.txt"
    for v in ${candidates//,/ }; do
      local mine; mine=$(sed -n 's/.*"images_per_second": \([0-9.eE+-]*\).*/\1/p' "$out/ours-$cfg-v$v.json" 2>/dev/null | head -1)
      [ -n "$mine" ] || continue
      ratio=n/a
      [ -n "$theirs" ] && ratio=$(awk -v a="$mine" -v b="$theirs" 'BEGIN { printf "%.2f", a / b }')
      echo "$cfg images/s with conv variant $v: ${mine}  ours/pytorch $ratio" | tee -a "$out/summary.txt"
    done
  done
  # On a GPU (variant 1, the naive reference, checks the others anyway): the shared-memory variant (3, the CUDA
  # dispatch until a run says otherwise), the 2D-blocktiled GEMM (8: 64x64 blocks, 8x8 outputs per thread) and
  # version 10 (8's tiling with coalesced staging, 128x128 blocks and split-K). The PoCL-shaped variants 6, 7 and 9
  # were timed on the first CUDA run (within 20% of 3); 2, 4 and 5 run one thread per group there.
  local variants=1,2,3,4,5,6,7,8,9,10; case "$device" in cuda*) variants=3,8,10 ;; esac
  step bench-kernels 150 "$dcgan" bench kernels --device "$device" --variant "$variants" --runs "$runs" \
    --json "$out/kernels.json" || true
  step tests 200 "$tests" --filter "FullyQualifiedName~$fixture" --results-directory "$out/test-results" || true
  grep -E "Passed|Failed|Skipped|total|succeeded|failed" "$out/tests.log" | tail -3 | sed 's/^/    /' | tee -a "$out/summary.txt"
  grep -E "^\s*failed " "$out/tests.log" | head -40 | sed 's/^/    /' | tee -a "$out/summary.txt"
  echo "total $((SECONDS - start)) s" | tee -a "$out/summary.txt"
  rm -rf "$dir"
  if [ "$bundle" = 1 ]; then
    # Only files this script wrote (a caller may be writing a log of its own into the same folder).
    # The archive is written outside $out first: tar reading a folder it is writing into exits 1 ("file changed as
    # we read it"), which left every loose file in place on the 2026-12-05 dry run.
    local tgz; tgz=$(mktemp)
    (cd "$out" && tar czf "$tgz" --exclude=results.tgz --exclude=summary.txt --exclude=run.log . \
      && mv "$tgz" results.tgz \
      && find . -mindepth 1 -not -name results.tgz -not -name summary.txt -not -name run.log -delete)
  fi
}

case "${1:-}" in
  pack) shift; pack "$@" ;;
  run) shift; run "$@" ;;
  *) sed -n 2,20p "$0"; exit 2 ;;
esac
