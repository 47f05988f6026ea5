// delayed-rmap/01 "mm: introduce 'encoded' page pointers with embedded extra bits"
// Seed: seeds/002_a22f6d6eeee8c674.txt L5568-5643 (the diff: L5591-5640).
// Changes nothing in the model: it adds the encode_page()/encoded_page_flags()/encoded_page_ptr()
// helpers (exported here for 02-05) and the __aligned(sizeof(unsigned long)) struct page that
// frees two low pointer bits; the model allocates struct pages 4-aligned throughout
// (core/model/page/state.ts allocPage), so the bits are free with or without this patch.
import { definePatch } from '../../core/model/index.ts';

/** #define ENCODE_PAGE_BITS 3ul ("We only really have two guaranteed bits in general") */
export const ENCODE_PAGE_BITS = 3;
/** return (struct encoded_page *)(flags | (unsigned long)page); */
export const encode_page = (page: number, flags: number) => flags | page;
/** return ENCODE_PAGE_BITS & (unsigned long)page; (the respin returns unsigned, not bool: L6185-6200) */
export const encoded_page_flags = (enc: number) => ENCODE_PAGE_BITS & enc;
/** return (struct page *)(~ENCODE_PAGE_BITS & (unsigned long)page); */
export const encoded_page_ptr = (enc: number) => ~ENCODE_PAGE_BITS & enc;

export default definePatch({
  id: 'delayed-rmap/01',
  series: 'delayed-rmap',
  index: 1,
  title: "mm: introduce 'encoded' page pointers with embedded extra bits",
  requires: [],
  effect: 'none',
  seed: 'seeds/002_a22f6d6eeee8c674.txt L5568-5643',
  apply() {},
});
