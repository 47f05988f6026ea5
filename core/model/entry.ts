// A 64-bit page-table entry as its two 32-bit halves (pte_low, pte_high / pmd_low, pmd_high): the
// value type of `entry` frame fields and of the page model's loads and stores.
export interface Entry { lo: number; hi: number }
