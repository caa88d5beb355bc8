#!/usr/bin/env bash
# The recipe comparison of docs/recipes.md: every preset trained on the bundled digits (32x32 grey, batch 16) for
# the same compute budget, over several seeds, each run's generator and its EMA (--ema 0.999; the EMA does not
# change training, so one run gives both) scored on 512 samples by `dcgan score`.
#
#   [DCGAN=command] scripts/compare-recipes.sh [--budget-iterations N] [--seeds "1 2 3"] [--recipes "dcgan wgan hinge lsgan"]
#                                              [--out DIR]
# A recipe may carry options after "+", comma-separated: "r1+--r1-gamma,1" trains --recipe r1 --r1-gamma 1.
#
# The budget is counted in dcgan-recipe iterations (default 2083 = a third of the default run's 6,250) and
# converted per preset from measured step costs, so the runs are reproducible (iteration counts, not wall time):
# on the 2-vCPU EPYC with PoCL, `dcgan bench step --recipe R --batch-size 16 --image-size 32 --channels 1`
# measured a dcgan iteration at 105 ms = one critic step (58 ms) + one generator step (47 ms); hinge and lsgan
# cost the same; a wgan iteration is 5 critic steps + 1 generator step = 337 ms, and its warm-up (100 critic
# steps for each of the first 25 generator steps) costs 2500 critic steps before the 26th. The second-order presets,
# measured on 2026-12-04 as iteration costs relative to a dcgan iteration in the same session (mean of three
# alternating measurements, the machine's load varied): wgan-gp 4.77 (five critic steps, each with the gradient
# penalty's extra forward, input-gradient and double-backward sweeps), sngan 1.16, r1 1.36.
# Prints one line per run and writes DIR/results.tsv.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
budget=2083 seeds="1 2 3" recipes="dcgan wgan hinge lsgan" out=runs/compare-recipes
while [ $# -gt 0 ]; do
  case "$1" in
    --budget-iterations) budget=$2; shift 2 ;;
    --seeds) seeds=$2; shift 2 ;;
    --recipes) recipes=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) sed -n 2,15p "$0"; exit 2 ;;
  esac
done
dcgan=${DCGAN:-"$root/dcgan"}  # DCGAN="dotnet /path/dcgan.dll": run a snapshot while the tree is rebuilt
critic_ms=58 generator_ms=47
budget_ms=$((budget * (critic_ms + generator_ms)))
# wgan: generator steps whose warm-up and critic steps fit the budget.
wgan_iterations=$(awk -v b="$budget_ms" -v c="$critic_ms" -v g="$generator_ms" 'BEGIN {
  used = 0; n = 0
  while (1) { k = (n < 25 || n % 500 == 0) ? 100 : 5; cost = k * c + g; if (used + cost > b) break; used += cost; n++ }
  print n }')
mkdir -p "$out"
results="$out/results.tsv"
printf 'recipe\tseed\titerations\tseconds\tgenerator\tclasses\tconfident_of_512\n' > "$results"
for seed in $seeds; do
  for recipe in $recipes; do
    preset=${recipe%%+*} extra=()
    [ "$preset" != "$recipe" ] && IFS=, read -r -a extra <<<"${recipe#*+}"
    case "$preset" in
      wgan) iterations=$wgan_iterations ;;
      wgan-gp) iterations=$((budget * 100 / 477)) ;;
      sngan) iterations=$((budget * 100 / 116)) ;;
      r1) iterations=$((budget * 100 / 136)) ;;
      *) iterations=$budget ;;
    esac
    run="$out/$(echo "$recipe" | tr -c 'A-Za-z0-9.\n-' '_')-seed$seed"
    rm -rf "$run"
    start=$SECONDS
    $dcgan train --recipe "$preset" "${extra[@]}" --ema 0.999 --seed "$seed" --iterations "$iterations" --out "$run" --quiet \
      > "$run.log" 2>&1 || { echo "$recipe seed $seed: training failed (see $run.log)"; continue; }
    seconds=$((SECONDS - start))
    # G with batch statistics (as the training grids), its EMA with batch statistics, and its EMA in eval mode
    # with the running statistics re-estimated for the averaged weights (netG_ema.safetensors).
    for which in netG:batch netG_ema:batch netG_ema:eval; do
      generator=${which%:*} mode=${which#*:}
      samples="$run/$generator-$mode-samples"
      $dcgan sample --checkpoint "$run/$generator.safetensors" --count 512 --seed 1000 --bn-mode "$mode" \
        --tensor-out "$samples.safetensors" --out "$samples.png" > /dev/null
      line=$($dcgan score --images "$samples.safetensors" | sed -n 2p)
      classes=$(echo "$line" | sed -n 's|^\([0-9]*\)/10 classes.*|\1|p')
      confident=$(echo "$line" | sed -n 's|.*(\([0-9]*\) of 512.*|\1|p')
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$recipe" "$seed" "$iterations" "$seconds" "$generator:$mode" "$classes" \
        "$confident" | tee -a "$results"
    done
  done
done
