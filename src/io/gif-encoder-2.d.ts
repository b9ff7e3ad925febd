// Types for the part of gif-encoder-2 that src/io/gif.ts uses: its NeuQuant quantiser (the
// package ships no types; its GIFEncoder class needs Node's stream, events and Buffer).

declare module 'gif-encoder-2/src/TypedNeuQuant.js' {
  /** Anthony Dekker's NeuQuant colour quantiser (256 colours) over packed RGB bytes. */
  class NeuQuant {
    constructor(rgb: Uint8Array, sampleFactor: number);
    buildColormap(): void;
    /** 256 * 3 values r, g, b, ... */
    getColormap(): number[];
    lookupRGB(r: number, g: number, b: number): number;
  }
  export = NeuQuant;
}
