#!/bin/bash
# The regression matrix as a Slurm job array: task i runs shard i of 8 (SLURM_ARRAY_TASK_ID), then
# a dependent job merges the partial results.
#   jid=$(sbatch --parsable docs/scale-out/slurm-matrix.sh)
#   sbatch --dependency=afterok:$jid --wrap 'npx lazymm merge results/part-*-of-8.json > matrix.txt'
#SBATCH --job-name=lazymm-matrix
#SBATCH --array=1-8
#SBATCH --cpus-per-task=2
#SBATCH --time=06:00:00
#SBATCH --output=lazymm-matrix-%a.log
set -euo pipefail
export LAZYMM_JOBS=${SLURM_CPUS_PER_TASK:-1}
exec sh docs/scale-out/shard.sh 8 results matrix --mode verify
