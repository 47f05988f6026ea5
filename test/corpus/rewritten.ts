// Corpus entries whose runs were rewritten by stop_machine hotplug and the kernel-versioned baseline
// (issue 12): not compared with the recording (README "Behaviour changes"). test/corpus.test.ts and
// test/corpus/changed-gen.ts both leave them out.
/** The configurations of the corpus that take a CPU down (every run does). */
const HOTPLUG_CONFIGS = [
  'cpu-offline-lazy|--arch x86', 'cpu-offline-lazy|--arch x86 --drop-step takedown_cpu.finish_cpu',
  'cpu-offline-lazy|--arch x86 --apply scenarios/variants/pre-bf2c59fce407.ts', 'cpu-offline-lazy|--arch x86 --apply lazy-mm:1-12',
  'cpu-offline-lazy|--arch x86 --apply lazy-mm:1-12 --drop-step do_idle_offline.unlazy_mm_irqs_off',
  'hotplug-lazy-mmput|--arch x86', 'hotplug-lazy-mmput|--arch x86 --drop-step tlb_flush_mmu.tlb_flush_mmu_free',
  ...['lazy-mm:1-15', 'lazy-mm:1-16', 'lazy-mm:1-21', 'lazy-mm'].map((a) => `hotplug-lazy-mmput|--arch x86 --apply ${a} --drop-step tlb_flush_mmu.tlb_flush_mmu_free`),
];
/** Seeds 1..20 of the trace corpus and the random and pct entries of the explore corpus (the DFS
 *  entries compare verdicts only, which hold). */
function everySeedAndSampler(configs: string[], why: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of configs) {
    for (let seed = 1; seed <= 20; seed++) out[`${c}|${seed}`] = why;
    out[`${c}|random`] = why;
    out[`${c}|pct`] = why;
  }
  return out;
}

/** Entries rewritten on purpose in a way the change checks (changes.ts) do not describe: a
 *  different order of events, or another kernel (scenario|config|seed or scenario|config|strategy
 *  -> why). They are not compared. */
export const REWRITTEN: Record<string, string> = {
  ...everySeedAndSampler(HOTPLUG_CONFIGS, 'hotplug through stop_machine (issue 12): cpu_down() pushes the dying CPU\'s tasks away and runs take_cpu_down() on it inside multi_cpu_stop(), every other CPU held there with IRQs off; the runs have the stopper\'s events and a different order'),
  ...everySeedAndSampler(['lazy-mmu-nesting|--arch x86-xen-pv'], 'kernel-versioned baseline (issue 12): plain --arch x86-xen-pv is v5.16, which has no generic set_ptes() (v6.6) and no PAGEMAP_SCAN (v6.7): nothing nests; the v6.14 runs are --kernel 6.14'),
  'lazy-mmu-nesting|--arch x86-xen-pv|dfs': 'kernel-versioned baseline (issue 12): v5.16 has no nesting path, the verdict is clean',
};
