/**
 * A small WebAssembly assembler: the kernels of this folder are TypeScript functions that emit
 * WASM bytecode through it at start-up (see README.md for why: no build step, no binary in the
 * repository, and kernels specialised to what the runtime offers, FMA or not).
 *
 * Instructions are emitted as they are called, and JavaScript evaluates arguments left to right,
 * so nested calls emit a stack machine's postfix order:
 *
 *   f.set(acc, f.f32x4.add(f.get(acc), f.f32x4.mul(f.get(x), f.get(y))))
 *
 * emits `local.get acc; local.get x; local.get y; f32x4.mul; f32x4.add; local.set acc`. The values
 * such calls return are type tokens only (they carry no data), so TypeScript checks operand types;
 * a token must be consumed where it is made (store values in locals to reuse them). The engine's
 * validator checks the rest when the module is compiled.
 */

export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128';

const VALTYPE_CODE: Record<ValType, number> = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b };

declare const valueType: unique symbol;
/** A value on the operand stack, of WASM type T (a compile-time token; it holds nothing). */
export interface Value<T extends ValType> {
  readonly [valueType]: T;
}
export type I32 = Value<'i32'>;
export type F32 = Value<'f32'>;
export type F64 = Value<'f64'>;
export type V128 = Value<'v128'>;

/** The one token object every emitting call returns. */
const TOKEN = Object.freeze({}) as unknown;
function token<T extends ValType>(): Value<T> {
  return TOKEN as Value<T>;
}

/** A local variable (parameters are locals 0..n-1). */
export class Local<T extends ValType> {
  constructor(
    readonly index: number,
    readonly type: T,
  ) {}
}

/** A branch target: a block (branching leaves it) or a loop (branching restarts it). */
export interface Label {
  readonly depth: number;
}

/** Growable byte buffer with the LEB128 and IEEE encodings the binary format uses. */
export class ByteWriter {
  private bytes: Uint8Array<ArrayBuffer> = new Uint8Array(256);
  length = 0;

  byte(b: number): this {
    if (this.length === this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes[this.length++] = b & 0xff;
    return this;
  }

  raw(bytes: ArrayLike<number>): this {
    for (let i = 0; i < bytes.length; i++) this.byte(bytes[i]);
    return this;
  }

  u32(value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`assembler: ${value} is not a u32`);
    let v = value;
    do {
      let b = v & 0x7f;
      v = Math.floor(v / 128);
      if (v !== 0) b |= 0x80;
      this.byte(b);
    } while (v !== 0);
    return this;
  }

  s32(value: number): this {
    if (!Number.isInteger(value) || value < -0x80000000 || value > 0xffffffff) throw new RangeError(`assembler: ${value} is not an i32`);
    let v = value | 0;
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
        this.byte(b);
        return this;
      }
      this.byte(b | 0x80);
    }
  }

  f32(value: number): this {
    return this.raw(new Uint8Array(new Float32Array([value]).buffer));
  }

  f64(value: number): this {
    return this.raw(new Uint8Array(new Float64Array([value]).buffer));
  }

  name(text: string): this {
    const utf8 = new TextEncoder().encode(text);
    return this.u32(utf8.length).raw(utf8);
  }

  /** A length-prefixed copy of another writer's bytes (a section or a function body). */
  sized(other: ByteWriter): this {
    return this.u32(other.length).raw(other.toBytes());
  }

  toBytes(): Uint8Array<ArrayBuffer> {
    return this.bytes.slice(0, this.length);
  }
}

/** log2 of the natural alignment of each access width, for memargs. */
const ALIGN = { 1: 0, 4: 2, 8: 3, 16: 4 } as const;

/** Reference to a function of a module, for `call`. */
export interface FuncRef<R extends ValType | null> {
  readonly index: number;
  readonly result: R;
  readonly params: readonly ValType[];
}

type ParamSpec = Record<string, ValType>;
type ParamLocals<P extends ParamSpec> = { readonly [K in keyof P]: Local<P[K]> };

/** Emits one function body. */
export class FunctionBuilder<P extends ParamSpec = ParamSpec> {
  readonly code = new ByteWriter();
  readonly params: ParamLocals<P>;
  private readonly localTypes: ValType[] = [];
  private readonly paramCount: number;
  private controlDepth = 0;

  constructor(
    params: P,
    /** Emit relaxed-SIMD f32x4.relaxed_madd in `madd` (else a multiply and an add). */
    readonly fma: boolean,
  ) {
    const locals: Record<string, Local<ValType>> = {};
    let i = 0;
    for (const [name, type] of Object.entries(params)) locals[name] = new Local(i++, type);
    this.params = locals as ParamLocals<P>;
    this.paramCount = i;
  }

  /** A new local of the given type (zero-initialised, as WASM locals are). */
  local<T extends ValType>(type: T): Local<T> {
    this.localTypes.push(type);
    return new Local(this.paramCount + this.localTypes.length - 1, type);
  }

  /** Locals after the parameters, run-length encoded as the format wants. */
  encodeLocals(w: ByteWriter): void {
    const runs: [number, ValType][] = [];
    for (const t of this.localTypes) {
      const last = runs[runs.length - 1];
      if (last && last[1] === t) last[0]++;
      else runs.push([1, t]);
    }
    w.u32(runs.length);
    for (const [count, t] of runs) w.u32(count).byte(VALTYPE_CODE[t]);
  }

  // ---------------------------------------------------------------- raw emission
  private op<T extends ValType>(code: number): Value<T> {
    this.code.byte(code);
    return token<T>();
  }

  private simd<T extends ValType>(code: number): Value<T> {
    this.code.byte(0xfd).u32(code);
    return token<T>();
  }

  private memarg(width: keyof typeof ALIGN, offset: number): void {
    this.code.u32(ALIGN[width]).u32(offset);
  }

  // ---------------------------------------------------------------- locals, calls, control
  get<T extends ValType>(l: Local<T>): Value<T> {
    this.code.byte(0x20).u32(l.index);
    return token<T>();
  }

  set<T extends ValType>(l: Local<T>, _value: Value<T>): void {
    this.code.byte(0x21).u32(l.index);
  }

  tee<T extends ValType>(l: Local<T>, _value: Value<T>): Value<T> {
    this.code.byte(0x22).u32(l.index);
    return token<T>();
  }

  /** Calls `fn`; its arguments must already be on the stack (pass them as the call's arguments). */
  call<R extends ValType | null>(fn: FuncRef<R>, ..._args: Value<ValType>[]): R extends ValType ? Value<R> : void {
    this.code.byte(0x10).u32(fn.index);
    return token() as R extends ValType ? Value<R> : void;
  }

  drop(_value: Value<ValType>): void {
    this.code.byte(0x1a);
  }

  /** `cond ? a : b` without a branch (both operands are evaluated). */
  select<T extends ValType>(_a: Value<T>, _b: Value<T>, _cond: I32): Value<T> {
    return this.op(0x1b);
  }

  block(body: (exit: Label) => void): void {
    this.code.byte(0x02).byte(0x40);
    this.nested(body);
  }

  loop(body: (top: Label) => void): void {
    this.code.byte(0x03).byte(0x40);
    this.nested(body);
  }

  if(_cond: I32, then: () => void, otherwise?: () => void): void {
    this.code.byte(0x04).byte(0x40);
    this.controlDepth++;
    then();
    if (otherwise) {
      this.code.byte(0x05);
      otherwise();
    }
    this.controlDepth--;
    this.code.byte(0x0b);
  }

  private nested(body: (label: Label) => void): void {
    const label = { depth: ++this.controlDepth };
    body(label);
    this.controlDepth--;
    this.code.byte(0x0b);
  }

  br(label: Label): void {
    this.code.byte(0x0c).u32(this.controlDepth - label.depth);
  }

  brIf(label: Label, _cond: I32): void {
    this.code.byte(0x0d).u32(this.controlDepth - label.depth);
  }

  /** Returns from the function (with its result on the stack, if it has one). */
  ret(_value?: Value<ValType>): void {
    this.code.byte(0x0f);
  }

  /**
   * `for (i = start; i < end; i += step) body()` as a rotated loop (one test before, one per
   * iteration). `end` is emitted twice, so pass a local or a constant, not a computation with
   * side effects.
   */
  forRange(i: Local<'i32'>, start: () => I32, end: () => I32, step: number, body: () => void): void {
    this.set(i, start());
    this.if(this.i32.lt_s(this.get(i), end()), () => {
      this.loop((top) => {
        body();
        this.brIf(top, this.i32.lt_s(this.tee(i, this.i32.add(this.get(i), this.i32.const(step))), end()));
      });
    });
  }

  /** a * b + c on f32x4 lanes: relaxed_madd where the runtime has FMA, else mul then add. c is emitted after a and b. */
  madd(_a: V128, _b: V128, c: () => V128): V128 {
    if (this.fma) {
      c();
      return this.simd(0x105);
    }
    this.simd(0xe6);
    c();
    return this.simd(0xe4);
  }

  /** memory.copy(dst, src, bytes): overlapping ranges allowed (bulk memory). */
  memoryCopy(_dst: I32, _src: I32, _bytes: I32): void {
    this.code.byte(0xfc).u32(10).byte(0).byte(0);
  }

  /** memory.fill(dst, byte, bytes). */
  memoryFill(_dst: I32, _byte: I32, _bytes: I32): void {
    this.code.byte(0xfc).u32(11).byte(0);
  }

  // ---------------------------------------------------------------- numeric instructions
  readonly i32 = {
    const: (value: number): I32 => {
      this.code.byte(0x41).s32(value);
      return token();
    },
    load: (_addr: I32, offset = 0): I32 => {
      this.code.byte(0x28);
      this.memarg(4, offset);
      return token();
    },
    store: (_addr: I32, _value: I32, offset = 0): void => {
      this.code.byte(0x36);
      this.memarg(4, offset);
    },
    eqz: (_a: I32): I32 => this.op(0x45),
    eq: (_a: I32, _b: I32): I32 => this.op(0x46),
    ne: (_a: I32, _b: I32): I32 => this.op(0x47),
    lt_s: (_a: I32, _b: I32): I32 => this.op(0x48),
    lt_u: (_a: I32, _b: I32): I32 => this.op(0x49),
    gt_s: (_a: I32, _b: I32): I32 => this.op(0x4a),
    le_s: (_a: I32, _b: I32): I32 => this.op(0x4c),
    ge_s: (_a: I32, _b: I32): I32 => this.op(0x4e),
    add: (_a: I32, _b: I32): I32 => this.op(0x6a),
    sub: (_a: I32, _b: I32): I32 => this.op(0x6b),
    mul: (_a: I32, _b: I32): I32 => this.op(0x6c),
    and: (_a: I32, _b: I32): I32 => this.op(0x71),
    or: (_a: I32, _b: I32): I32 => this.op(0x72),
    shl: (_a: I32, _b: I32): I32 => this.op(0x74),
    shr_s: (_a: I32, _b: I32): I32 => this.op(0x75),
    shr_u: (_a: I32, _b: I32): I32 => this.op(0x76),
    trunc_f32_s: (_a: F32): I32 => this.op(0xa8),
  };

  readonly f32 = {
    const: (value: number): F32 => {
      this.code.byte(0x43).f32(value);
      return token();
    },
    load: (_addr: I32, offset = 0): F32 => {
      this.code.byte(0x2a);
      this.memarg(4, offset);
      return token();
    },
    store: (_addr: I32, _value: F32, offset = 0): void => {
      this.code.byte(0x38);
      this.memarg(4, offset);
    },
    eq: (_a: F32, _b: F32): I32 => this.op(0x5b),
    ne: (_a: F32, _b: F32): I32 => this.op(0x5c),
    lt: (_a: F32, _b: F32): I32 => this.op(0x5d),
    gt: (_a: F32, _b: F32): I32 => this.op(0x5e),
    le: (_a: F32, _b: F32): I32 => this.op(0x5f),
    ge: (_a: F32, _b: F32): I32 => this.op(0x60),
    abs: (_a: F32): F32 => this.op(0x8b),
    neg: (_a: F32): F32 => this.op(0x8c),
    sqrt: (_a: F32): F32 => this.op(0x91),
    add: (_a: F32, _b: F32): F32 => this.op(0x92),
    sub: (_a: F32, _b: F32): F32 => this.op(0x93),
    mul: (_a: F32, _b: F32): F32 => this.op(0x94),
    div: (_a: F32, _b: F32): F32 => this.op(0x95),
    min: (_a: F32, _b: F32): F32 => this.op(0x96),
    max: (_a: F32, _b: F32): F32 => this.op(0x97),
    convert_i32_s: (_a: I32): F32 => this.op(0xb2),
    demote_f64: (_a: F64): F32 => this.op(0xb6),
  };

  readonly f64 = {
    const: (value: number): F64 => {
      this.code.byte(0x44).f64(value);
      return token();
    },
    load: (_addr: I32, offset = 0): F64 => {
      this.code.byte(0x2b);
      this.memarg(8, offset);
      return token();
    },
    lt: (_a: F64, _b: F64): I32 => this.op(0x63),
    gt: (_a: F64, _b: F64): I32 => this.op(0x64),
    le: (_a: F64, _b: F64): I32 => this.op(0x65),
    abs: (_a: F64): F64 => this.op(0x99),
    neg: (_a: F64): F64 => this.op(0x9a),
    add: (_a: F64, _b: F64): F64 => this.op(0xa0),
    sub: (_a: F64, _b: F64): F64 => this.op(0xa1),
    mul: (_a: F64, _b: F64): F64 => this.op(0xa2),
    div: (_a: F64, _b: F64): F64 => this.op(0xa3),
    sqrt: (_a: F64): F64 => this.op(0x9f),
    promote_f32: (_a: F32): F64 => this.op(0xbb),
  };

  readonly v128 = {
    load: (_addr: I32, offset = 0): V128 => {
      this.code.byte(0xfd).u32(0x00);
      this.memarg(16, offset);
      return token();
    },
    load32_splat: (_addr: I32, offset = 0): V128 => {
      this.code.byte(0xfd).u32(0x09);
      this.memarg(4, offset);
      return token();
    },
    load64_zero: (_addr: I32, offset = 0): V128 => {
      this.code.byte(0xfd).u32(0x5d);
      this.memarg(8, offset);
      return token();
    },
    store: (_addr: I32, _value: V128, offset = 0): void => {
      this.code.byte(0xfd).u32(0x0b);
      this.memarg(16, offset);
    },
    /** Stores lane `lane` of a 32-bit-lane vector. */
    store32_lane: (_addr: I32, _value: V128, lane: number, offset = 0): void => {
      this.code.byte(0xfd).u32(0x5a);
      this.memarg(4, offset);
      this.code.byte(lane);
    },
    store64_lane: (_addr: I32, _value: V128, lane: number, offset = 0): void => {
      this.code.byte(0xfd).u32(0x5b);
      this.memarg(8, offset);
      this.code.byte(lane);
    },
    /** A constant vector of four float32 lanes. */
    f32x4: (a: number, b = a, c = a, d = a): V128 => {
      this.code.byte(0xfd).u32(0x0c).raw(new Uint8Array(new Float32Array([a, b, c, d]).buffer));
      return token();
    },
    /** A constant vector of four int32 lanes. */
    i32x4: (a: number, b = a, c = a, d = a): V128 => {
      this.code.byte(0xfd).u32(0x0c).raw(new Uint8Array(new Int32Array([a, b, c, d]).buffer));
      return token();
    },
    and: (_a: V128, _b: V128): V128 => this.simd(0x4e),
    andnot: (_a: V128, _b: V128): V128 => this.simd(0x4f),
    or: (_a: V128, _b: V128): V128 => this.simd(0x50),
    xor: (_a: V128, _b: V128): V128 => this.simd(0x51),
    /** Bits of a where mask is set, of b elsewhere. */
    bitselect: (_a: V128, _b: V128, _mask: V128): V128 => this.simd(0x52),
    any_true: (_a: V128): I32 => this.simd(0x53),
  };

  readonly i8x16 = {
    /** Byte shuffle of the 32 bytes of a and b (lanes 0-15 from a, 16-31 from b). */
    shuffle: (_a: V128, _b: V128, lanes: readonly number[]): V128 => {
      if (lanes.length !== 16) throw new RangeError('assembler: i8x16.shuffle takes 16 lane indices');
      this.code.byte(0xfd).u32(0x0d).raw(lanes);
      return token();
    },
  };

  readonly i32x4 = {
    splat: (_a: I32): V128 => this.simd(0x11),
    extract_lane: (_a: V128, lane: number): I32 => {
      this.simd(0x1b);
      this.code.byte(lane);
      return token();
    },
    /** Shuffle of 32-bit lanes: lanes 0-3 from a, 4-7 from b. */
    shuffle: (a: V128, b: V128, l0: number, l1: number, l2: number, l3: number): V128 => {
      const bytes: number[] = [];
      for (const l of [l0, l1, l2, l3]) bytes.push(4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3);
      return this.i8x16.shuffle(a, b, bytes);
    },
    eq: (_a: V128, _b: V128): V128 => this.simd(0x37),
    add: (_a: V128, _b: V128): V128 => this.simd(0xae),
    sub: (_a: V128, _b: V128): V128 => this.simd(0xb1),
    shl: (_a: V128, _b: I32): V128 => this.simd(0xab),
    trunc_sat_f32x4_s: (_a: V128): V128 => this.simd(0xf8),
  };

  readonly f32x4 = {
    splat: (_a: F32): V128 => this.simd(0x13),
    extract_lane: (_a: V128, lane: number): F32 => {
      this.simd(0x1f);
      this.code.byte(lane);
      return token();
    },
    replace_lane: (_a: V128, _b: F32, lane: number): V128 => {
      this.simd(0x20);
      this.code.byte(lane);
      return token();
    },
    eq: (_a: V128, _b: V128): V128 => this.simd(0x41),
    ne: (_a: V128, _b: V128): V128 => this.simd(0x42),
    lt: (_a: V128, _b: V128): V128 => this.simd(0x43),
    gt: (_a: V128, _b: V128): V128 => this.simd(0x44),
    le: (_a: V128, _b: V128): V128 => this.simd(0x45),
    ge: (_a: V128, _b: V128): V128 => this.simd(0x46),
    nearest: (_a: V128): V128 => this.simd(0x6a),
    abs: (_a: V128): V128 => this.simd(0xe0),
    neg: (_a: V128): V128 => this.simd(0xe1),
    sqrt: (_a: V128): V128 => this.simd(0xe3),
    add: (_a: V128, _b: V128): V128 => this.simd(0xe4),
    sub: (_a: V128, _b: V128): V128 => this.simd(0xe5),
    mul: (_a: V128, _b: V128): V128 => this.simd(0xe6),
    div: (_a: V128, _b: V128): V128 => this.simd(0xe7),
    min: (_a: V128, _b: V128): V128 => this.simd(0xe8),
    max: (_a: V128, _b: V128): V128 => this.simd(0xe9),
    /** b < a ? b : a (NaN in a or b gives a). */
    pmin: (_a: V128, _b: V128): V128 => this.simd(0xea),
    /** a < b ? b : a (NaN in a or b gives a). */
    pmax: (_a: V128, _b: V128): V128 => this.simd(0xeb),
    convert_i32x4_s: (_a: V128): V128 => this.simd(0xfa),
  };

  readonly f64x2 = {
    add: (_a: V128, _b: V128): V128 => this.simd(0xf0),
    mul: (_a: V128, _b: V128): V128 => this.simd(0xf2),
    extract_lane: (_a: V128, lane: number): F64 => {
      this.simd(0x21);
      this.code.byte(lane);
      return token();
    },
    promote_low_f32x4: (_a: V128): V128 => this.simd(0x5f),
  };
}

interface FunctionEntry {
  name: string;
  typeIndex: number;
  exported: boolean;
  builder: FunctionBuilder | null;
}

/** Assembles one module: an imported memory and functions, some exported by name. */
export class ModuleBuilder {
  private readonly types: string[] = [];
  private readonly typeBytes: Uint8Array[] = [];
  private readonly functions: FunctionEntry[] = [];
  private memoryImport: { module: string; name: string; minPages: number; maxPages: number | null } | null = null;

  constructor(
    /** Whether `madd` emits relaxed-SIMD FMA. */
    readonly fma: boolean,
  ) {}

  importMemory(module: string, name: string, minPages: number, maxPages: number | null = null): void {
    this.memoryImport = { module, name, minPages, maxPages };
  }

  /** Declares a function (so that others can call it before its body is emitted). */
  declare<P extends ParamSpec, R extends ValType | null>(name: string, params: P, result: R, exported = true): FuncRef<R> & { define(body: (f: FunctionBuilder<P>) => void): void } {
    const paramTypes = Object.values(params);
    const w = new ByteWriter().byte(0x60).u32(paramTypes.length);
    for (const t of paramTypes) w.byte(VALTYPE_CODE[t]);
    if (result === null) w.u32(0);
    else w.u32(1).byte(VALTYPE_CODE[result]);
    const bytes = w.toBytes();
    const key = Array.from(bytes).join(',');
    let typeIndex = this.types.indexOf(key);
    if (typeIndex < 0) {
      typeIndex = this.types.length;
      this.types.push(key);
      this.typeBytes.push(bytes);
    }
    const entry: FunctionEntry = { name, typeIndex, exported, builder: null };
    const index = this.functions.length;
    this.functions.push(entry);
    const fma = this.fma;
    return {
      index,
      result,
      params: paramTypes,
      define(body: (f: FunctionBuilder<P>) => void): void {
        const f = new FunctionBuilder(params, fma);
        body(f);
        entry.builder = f as unknown as FunctionBuilder;
      },
    };
  }

  /** Declares and defines a function in one go. */
  func<P extends ParamSpec, R extends ValType | null>(name: string, params: P, result: R, body: (f: FunctionBuilder<P>) => void, exported = true): FuncRef<R> {
    const ref = this.declare(name, params, result, exported);
    ref.define(body);
    return ref;
  }

  toBytes(): Uint8Array<ArrayBuffer> {
    const out = new ByteWriter().raw([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    const section = (id: number, content: ByteWriter): void => {
      out.byte(id).sized(content);
    };
    const types = new ByteWriter().u32(this.typeBytes.length);
    for (const t of this.typeBytes) types.raw(t);
    section(1, types);
    if (this.memoryImport) {
      const m = this.memoryImport;
      const imports = new ByteWriter().u32(1).name(m.module).name(m.name).byte(0x02);
      if (m.maxPages === null) imports.byte(0x00).u32(m.minPages);
      else imports.byte(0x01).u32(m.minPages).u32(m.maxPages);
      section(2, imports);
    }
    const funcs = new ByteWriter().u32(this.functions.length);
    for (const f of this.functions) funcs.u32(f.typeIndex);
    section(3, funcs);
    const exported = this.functions.map((f, i) => [f, i] as const).filter(([f]) => f.exported);
    const exports = new ByteWriter().u32(exported.length);
    for (const [f, i] of exported) exports.name(f.name).byte(0x00).u32(i);
    section(7, exports);
    const code = new ByteWriter().u32(this.functions.length);
    for (const f of this.functions) {
      if (f.builder === null) throw new Error(`assembler: function '${f.name}' was declared but never defined`);
      const body = new ByteWriter();
      f.builder.encodeLocals(body);
      body.raw(f.builder.code.toBytes()).byte(0x0b);
      code.sized(body);
    }
    section(10, code);
    return out.toBytes();
  }
}
