/**
 * The fixed layout of the start of a kernel instance's WebAssembly memory, and the alignment
 * rule every allocation follows. Written once here; the kernels and the allocator both read it.
 */

/** Regions and views start on a multiple of this many floats (256 bytes): SIMD loads are aligned, and the rule matches WebGPU's minimum storage-buffer binding offset alignment. */
export const ALIGN_FLOATS = 64;
export const ALIGN_BYTES = ALIGN_FLOATS * 4;

/** WebAssembly page size in bytes. */
export const PAGE_BYTES = 65536;

/** The most a 32-bit WebAssembly memory can hold (65,536 pages: 4 GiB); the heap never grows past it. */
export const MAX_MEMORY_BYTES = 65536 * PAGE_BYTES;

/** Depth of a k block of the GEMM (floats): the packed MR x KC slice of op(a) is 5 KiB, in L1. */
export const GEMM_KC = 256;
/** Width of a column block of the GEMM (floats): the packed KC x NC block of op(b) is 256 KiB, in L2. */
export const GEMM_NC = 256;
/** Rows of out computed per micro-kernel step. */
export const GEMM_MR = 5;
/** Columns of out per micro-kernel step (two f32x4 vectors). */
export const GEMM_NR = 8;

/** Byte address 0 is never handed out, so 0 can mean "no tensor" in kernel arguments. */
const NULL_GUARD = ALIGN_BYTES;
/** A small scratch area: partial GEMM tiles (MR x NR floats) and scalar results. */
export const TILE_PTR = NULL_GUARD;
export const TILE_BYTES = ALIGN_BYTES;
/** The packed block of op(b): KC x NC floats, laid out as NC / NR panels of KC x NR. */
export const PACK_PTR = TILE_PTR + TILE_BYTES;
export const PACK_BYTES = GEMM_KC * GEMM_NC * 4;
/** The packed micro-panel of op(a): KC steps of MR floats. */
export const PACK_A_PTR = PACK_PTR + PACK_BYTES;
export const PACK_A_BYTES = GEMM_KC * GEMM_MR * 4;
/** The argument block of the kernels that read their float scalars from memory (kernels/optimizers.ts). */
export const ARGS_PTR = PACK_A_PTR + PACK_A_BYTES;
export const ARGS_BYTES = ALIGN_BYTES;
/** Where the allocator's heap begins. */
export const HEAP_START = ARGS_PTR + ARGS_BYTES;
