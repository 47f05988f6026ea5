// What tasks do: a scenario gives each task a program of system-call-level operations. The
// explorer decides when each CPU moves; the program only says what the task wants.

export type Op =
  | { op: 'touch' } // user-space access to the task's mm (a membarrier ACCESS event)
  | { op: 'store'; v: 'x' | 'y'; val: number } // user store (litmus)
  | { op: 'load'; v: 'x' | 'y'; reg: string } // user load into a named register (litmus)
  | { op: 'sleep' } // nanosleep: block until this CPU's timer fires
  | { op: 'wait' } // block until another task wakes us
  | { op: 'wake'; task: string }
  | { op: 'exit' }
  | { op: 'exec' } // execve into a fresh mm
  | { op: 'clone'; task: string } // start a prepared thread (CLONE_VM: mmget)
  | { op: 'munmap' } // unmap and free page tables: a freed_tables TLB flush
  | { op: 'madvise_dontneed' } // zap without freeing tables
  | { op: 'membarrier' } // MEMBARRIER_CMD_PRIVATE_EXPEDITED
  | { op: 'kthread_use_mm'; mm: string }
  | { op: 'kthread_unuse_mm' }
  | { op: 'mmget_not_zero'; mm: string }
  | { op: 'mmput'; mm: string }
  | { op: 'cpu_down'; cpu: number }
  | { op: 'cpu_up'; cpu: number }
  | { op: 'text_poke' }
  | { op: 'efi_call' }
  | { op: 'cpuidle_tlb_flushed' };

export const OP_NAMES = [
  'touch', 'store', 'load', 'sleep', 'wait', 'wake', 'exit', 'exec', 'clone', 'munmap', 'madvise_dontneed',
  'membarrier', 'kthread_use_mm', 'kthread_unuse_mm', 'mmget_not_zero', 'mmput', 'cpu_down', 'cpu_up',
  'text_poke', 'efi_call', 'cpuidle_tlb_flushed',
] as const;
