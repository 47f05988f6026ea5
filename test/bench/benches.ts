// Further benches register here (bisect, page-level, timing) so `npm run bench NAME` can pick one.
export interface Bench { name: string; run(): Promise<void> }
export const BENCHES: Bench[] = [];
