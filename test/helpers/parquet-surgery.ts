/**
 * Byte surgery on real Parquet files for hostile-input tests: the plain-JS module bench/faults.mjs
 * uses too (bench/parquet-surgery.mjs), with its types.
 */
import type { FileMetaData } from "hyparquet";
import * as surgery from "../../bench/parquet-surgery.mjs";

export interface Page {
  /** the raw Thrift struct (field_1 type, field_2 uncompressed size, field_3 compressed size, …) */
  header: Record<string, any>;
  body: Uint8Array;
}

/** The file's footer, parsed. */
export const footerOf: (file: Uint8Array) => FileMetaData = surgery.footerOf;
/** The same data with a footer re-encoded after `edit` changed what it claims. */
export const withFooter: (file: Uint8Array, edit: (m: FileMetaData) => void) => Uint8Array = surgery.withFooter;
/** Where column `column`'s chunk in row group `group` starts (its first page header). */
export const chunkStart: (file: Uint8Array, group: number, column: number) => number = surgery.chunkStart;
/** The page whose header starts at `offset`, and where the next one starts. */
export const pageAt: (file: Uint8Array, offset: number) => Page & { next: number } = surgery.pageAt;
/** Replace the page at `offset` with `edit(page)`; later offsets and the chunk's sizes move with it. */
export const withPage: (file: Uint8Array, offset: number, edit: (p: Page) => Page) => Uint8Array = surgery.withPage;
/** Like withPage, with the one page replaced by several (e.g. a row split across two). */
export const withPages: (file: Uint8Array, offset: number, edit: (p: Page) => Page[]) => Uint8Array = surgery.withPages;
/** LEB128, as Thrift and the RLE hybrid encoding write run headers. */
export const varint: (n: number) => number[] = surgery.varint;
/** Where each page of column `column`'s chunk in row group `group` starts. */
export const pageOffsets: (file: Uint8Array, group: number, column: number) => number[] = surgery.pageOffsets;
