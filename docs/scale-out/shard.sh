#!/bin/sh
# One shard of a lazymm command, on whatever runs it: a CI matrix job, a Kubernetes Indexed Job
# pod or a Slurm array task. The shard number comes from the scheduler:
#   Kubernetes Indexed Job   JOB_COMPLETION_INDEX = 0 .. n-1
#   Slurm job array          SLURM_ARRAY_TASK_ID  = 1 .. n   (sbatch --array=1-n)
#   CI matrix, anything else SHARD                = 1 .. n
# usage: shard.sh N OUTDIR LAZYMM-ARGS...      (LAZYMM: how to run lazymm; default npx lazymm)
# The partial result is written to OUTDIR/part-K-of-N.json only once the shard has finished, so
# a shard that was killed leaves no file and `lazymm merge` names it as missing.
set -eu
n=$1; out=$2; shift 2
if [ -n "${JOB_COMPLETION_INDEX:-}" ]; then k=$((JOB_COMPLETION_INDEX + 1))
elif [ -n "${SLURM_ARRAY_TASK_ID:-}" ]; then k=$SLURM_ARRAY_TASK_ID
elif [ -n "${SHARD:-}" ]; then k=$SHARD
else echo "shard.sh: no shard number (JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID or SHARD)" >&2; exit 2
fi
mkdir -p "$out"
${LAZYMM:-npx lazymm} "$@" --shard "$k/$n" > "$out/.part-$k-of-$n.tmp"
mv "$out/.part-$k-of-$n.tmp" "$out/part-$k-of-$n.json"
