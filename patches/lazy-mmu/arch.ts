// Which arch model a lazy-mmu patch is looking at (patches 02/03 change sparc64 only).
export const isSparc64 = (name: string) => name.startsWith('sparc64');
