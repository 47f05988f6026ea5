// The arch conformance suite: every registered arch (and the new-arch template, arches/generic.ts)
// against the ArchPlugin contract. Static checks of the module, then every built-in scenario's
// baseline 'clean' expectation and the probes of test/conformance/scenarios.ts explored with the
// contract's invariants checked at every step (test/conformance/checkers.ts).
//
//   npx vitest run test/conformance.test.ts                      all arches
//   CONFORMANCE_ARCH=riscv npx vitest run test/conformance.test.ts   one arch (a new one, say)
//   CONFORMANCE_BUDGET=2000 ...                                  explore deeper (default 100: DFS, then half as many random runs)
import { describe, it, expect } from 'vitest';
import { conformanceArches, conformanceCases, runCase } from './conformance/run.ts';
import { contractProblems, undeclared, missingFunctions, archSteps, unsourcedCosts, scaffolded } from './conformance/static.ts';
import { addObservations, emptyObservations } from './conformance/checkers.ts';

// Arches written before the optional fields existed keep the defaults; the template and the arches
// scaffolded from it (and this suite's own arches) declare every field.
const DECLARES_ALL = new Set(['generic', 'powerpc', 'arm64', 'sparc64', 'x86-xen-pv']);

for (const arch of conformanceArches()) {
  describe(`conformance: ${arch.name}`, () => {
    const obs = emptyObservations();

    it('declares every contract field with a valid value', () => {
      expect(contractProblems(arch)).toEqual([]);
      if (DECLARES_ALL.has(arch.name) || scaffolded(arch.name)) expect(undeclared(arch)).toEqual([]);
    });

    it('gives a body to every kernel function the model calls on an arch', () => {
      expect(missingFunctions(arch)).toEqual([]);
    });

    it('registers lazy MMU mode steps if and only if it claims lazyMmu', () => {
      const steps = [...archSteps(arch, 'arch_enter_lazy_mmu_mode'), ...archSteps(arch, 'arch_leave_lazy_mmu_mode')];
      if (arch.lazyMmu) expect(steps.length).toBeGreaterThan(0);
      else expect(steps).toEqual([]);
    });

    it('writes the source of every cost weight beside it', () => {
      const missing = unsourcedCosts(arch.name);
      if (missing === null) return; // inherited costs (a spread of another arch's)
      expect(missing).toEqual([]);
    });

    for (const c of conformanceCases(arch)) {
      it(`${c.label}: clean, and the contract's invariants hold at every step`, async () => {
        const r = await runCase(arch, c);
        addObservations(obs, r.obs);
        const report = r.violations.map((v) => `[${v.oracle}] ${v.message} (cpu${v.cpu}, ${v.step})\n  schedule: ${v.schedule}`);
        if (report.length) report.push(...r.trace.slice(-40));
        expect(report).toEqual([]);
        expect(r.schedules).toBeGreaterThan(0);
      });
    }

    it('was exercised: flushes and exits with lazy CPUs, quiescent points, switches', () => {
      // Non-vacuity: the invariants above must have had something to look at.
      expect(obs.flushesWithLazy).toBeGreaterThan(0);
      expect(obs.exitsWithLazy).toBeGreaterThan(0);
      expect(obs.agreementChecks).toBeGreaterThan(0);
      expect(obs.switchMmIrqsOff).toBeGreaterThan(0);
      if (arch.mmCpumaskExact) expect(obs.exactChecks).toBeGreaterThan(0);
      if (arch.lazyMmuState) expect(obs.lazyMmuChecks).toBeGreaterThan(0);
      // What the arch's claims meant in practice, for the log.
      const o = { ...obs };
      console.log(`${arch.name}: ${o.events} events; flushes ${o.flushes} (${o.flushesWithLazy} with a lazy CPU, ${o.flushesWithLazyAndIpis} of them sending IPIs; lazy CPUs targeted ${o.lazyTargeted}); exits ${o.exits} (${o.exitsWithLazy} with lazy CPUs, ${o.exitsLeftLoaded} left a CPU on the mm); claims flushIpisReachLazy=${arch.flushIpisReachLazy} exitShootsLazies=${arch.exitShootsLazies}`);
      if (!arch.exitShootsLazies) expect(o.exitsLeftLoaded).toBeGreaterThan(0);
      if (arch.flushIpisReachLazy === 'never') expect(o.lazyTargeted).toBe(0);
    });
  });
}
