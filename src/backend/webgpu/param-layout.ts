/**
 * The layout of a kernel's uniform parameters, declared once (in kernels.ts) and written by name,
 * so no op writes a value at a magic offset that must match its shader's `struct Params`.
 */

/** The WGSL scalar types a parameter field may have (all 4 bytes, so field i sits at word i). */
export type ParamType = 'u32' | 'f32';

export class ParamLayout<F extends string> {
  /** The fields in declaration order, as [name, type] (the order of the WGSL struct). */
  readonly fields: readonly (readonly [F, ParamType])[];
  /** 32-bit words the struct occupies. */
  readonly words: number;
  private readonly word: Record<F, number>;
  private readonly float: Record<F, boolean>;

  constructor(fields: Record<F, ParamType>) {
    this.fields = Object.entries(fields).map(([name, type]) => [name as F, type as ParamType] as const);
    this.words = this.fields.length;
    this.word = {} as Record<F, number>;
    this.float = {} as Record<F, boolean>;
    this.fields.forEach(([name, type], i) => {
      this.word[name] = i;
      this.float[name] = type === 'f32';
    });
  }

  /** The word index of `name` inside the struct. */
  wordOf(name: F): number {
    return this.word[name];
  }

  /** Whether `name` is an f32 field (else u32). */
  isFloat(name: F): boolean {
    return this.float[name];
  }
}

/**
 * Writes the fields of one uniform slot by name. One writer is reused for every op (no allocation):
 * `begin` points it at a freshly reserved slot, whose words it zeroes, so a field an op leaves out
 * reads 0 rather than a previous op's value.
 */
export class ParamWriter<F extends string> {
  private layout: ParamLayout<F> | null = null;
  private base = 0;

  constructor(
    private readonly u32: Uint32Array,
    private readonly f32: Float32Array,
  ) {}

  begin<G extends string>(layout: ParamLayout<G>, baseWord: number): ParamWriter<G> {
    const self = this as unknown as ParamWriter<G>;
    self.layout = layout;
    self.base = baseWord;
    this.u32.fill(0, baseWord, baseWord + layout.words);
    return self;
  }

  /** Sets field `name` (u32 fields take non-negative integers, f32 fields any number). */
  set(name: F, value: number): this {
    const layout = this.layout as ParamLayout<F>;
    const i = this.base + layout.wordOf(name);
    if (layout.isFloat(name)) this.f32[i] = value;
    else this.u32[i] = value;
    return this;
  }
}
