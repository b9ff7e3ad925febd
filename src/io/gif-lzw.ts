/**
 * GIF's variable-width LZW compression of palette indices (GIF89a spec, appendix F).
 *
 * Our own because gif-encoder-2's LZWEncoder assigns undeclared variables (`remaining`,
 * `curPixel`, `n_bits`): it leaks globals in Node and throws a ReferenceError in strict-mode
 * code such as an ES-module browser bundle.
 */

const MAX_CODES = 4096;

/** Where the compressed image data goes. */
export interface ByteSink {
  writeByte(value: number): void;
  writeBytes(array: ArrayLike<number>, offset?: number, length?: number): void;
}

/**
 * Reusable LZW compressor. Its dictionary is a direct table indexed by (prefix code, next
 * index) with generation stamps, so resetting it between frames costs nothing.
 */
export class GifLzwEncoder {
  private readonly codes = new Int16Array(MAX_CODES * 256);
  private readonly stamps = new Uint32Array(MAX_CODES * 256);
  private generation = 0;
  private readonly block = new Uint8Array(255);
  private blockLength = 0;
  private bitBuffer = 0;
  private bitCount = 0;

  /**
   * Writes the LZW minimum code size byte, the data sub-blocks and the block terminator for
   * `indices` (every value below 2^depth).
   */
  encode(indices: Uint8Array, depth: number, out: ByteSink): void {
    const minCodeSize = Math.max(2, depth);
    const clear = 1 << minCodeSize;
    const end = clear + 1;
    out.writeByte(minCodeSize);
    this.blockLength = 0;
    this.bitBuffer = 0;
    this.bitCount = 0;

    let codeSize = minCodeSize + 1;
    let next = end + 1;
    this.newGeneration();
    this.emit(clear, codeSize, out);
    let prefix = indices[0];
    for (let i = 1; i < indices.length; i++) {
      const k = indices[i];
      const key = (prefix << 8) | k;
      if (this.stamps[key] === this.generation) {
        prefix = this.codes[key];
        continue;
      }
      this.emit(prefix, codeSize, out);
      if (next < MAX_CODES) {
        this.codes[key] = next;
        this.stamps[key] = this.generation;
        next++;
        if (next > 1 << codeSize && codeSize < 12) codeSize++;
      } else {
        // Table full: start over (the decoder resets on the clear code too).
        this.emit(clear, codeSize, out);
        this.newGeneration();
        codeSize = minCodeSize + 1;
        next = end + 1;
      }
      prefix = k;
    }
    this.emit(prefix, codeSize, out);
    this.emit(end, codeSize, out);
    if (this.bitCount > 0) this.pushByte(this.bitBuffer & 0xff, out);
    this.flushBlock(out);
    out.writeByte(0);
  }

  private newGeneration(): void {
    this.generation++;
    if (this.generation === 0xffffffff) {
      this.stamps.fill(0);
      this.generation = 1;
    }
  }

  private emit(code: number, size: number, out: ByteSink): void {
    this.bitBuffer |= code << this.bitCount;
    this.bitCount += size;
    while (this.bitCount >= 8) {
      this.pushByte(this.bitBuffer & 0xff, out);
      this.bitBuffer >>>= 8;
      this.bitCount -= 8;
    }
  }

  private pushByte(value: number, out: ByteSink): void {
    this.block[this.blockLength++] = value;
    if (this.blockLength === 255) this.flushBlock(out);
  }

  private flushBlock(out: ByteSink): void {
    if (this.blockLength === 0) return;
    out.writeByte(this.blockLength);
    out.writeBytes(this.block, 0, this.blockLength);
    this.blockLength = 0;
  }
}
