/**
 * The TWS API socket framing (docs/ibkr.md "Wire protocol"): a client opens with the bytes `API\0`, a
 * 4-byte big-endian length and a version range `v<min>..<max>`; every later message either way is a
 * 4-byte big-endian length followed by its fields, each ended by a NUL byte. The server's first message
 * is its chosen server version and connection time. Pure: bytes in, fields out.
 */

/** The server version the emulator speaks (REPLACE_FA_END): completed orders (150) and ASCII-7 escaped text (153) included, fractional sizes (163) not. */
export const SERVER_VERSION = 157;

/** A field as written: numbers and booleans as IB writes them (booleans 1/0), null/undefined empty. */
export type Field = string | number | boolean | null | undefined;

const HANDSHAKE_PREFIX = 'API\0';
/** The TWS API's largest message (the Java client's limit). */
export const MAX_MESSAGE_BYTES = 0xffffff;

export function fieldText(f: Field): string {
  if (f === null || f === undefined) return '';
  if (typeof f === 'boolean') return f ? '1' : '0';
  if (typeof f === 'number') {
    if (!Number.isFinite(f)) return '';
    return String(f);
  }
  return f;
}

/** One framed message: length prefix, then each field NUL-terminated (UTF-8). */
export function encodeMessage(fields: readonly Field[]): Buffer {
  const body = Buffer.from(fields.map((f) => `${fieldText(f)}\0`).join(''), 'utf8');
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length, 0);
  return Buffer.concat([head, body]);
}

export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

/** `v100..193` or `v157` as the client sends it; null when it is not a version range. */
export function parseVersionRange(text: string): VersionRange | null {
  const m = /^v(\d+)(?:\.\.(\d+))?/.exec(text);
  if (!m) return null;
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : Number(m[2]);
  return max >= min ? { min, max } : null;
}

/** The version both sides speak, or null when the client's range leaves out the emulator's. */
export function negotiateVersion(range: VersionRange, ours = SERVER_VERSION): number | null {
  return range.min <= ours && ours <= range.max ? ours : null;
}

export type FrameEvent =
  | { readonly kind: 'handshake'; readonly range: VersionRange | null; readonly raw: string }
  | { readonly kind: 'message'; readonly fields: string[] }
  | { readonly kind: 'bad_frame'; readonly reason: string };

/** Splits a connection's byte stream into the handshake and then messages of fields. */
export class FrameDecoder {
  private buffer = Buffer.alloc(0);
  private greeted = false;

  push(chunk: Buffer): FrameEvent[] {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    const out: FrameEvent[] = [];
    for (;;) {
      const event = this.greeted ? this.nextMessage() : this.nextHandshake();
      if (event === null) return out;
      out.push(event);
      if (event.kind === 'bad_frame') return out;
    }
  }

  private nextHandshake(): FrameEvent | null {
    const prefix = Buffer.from(HANDSHAKE_PREFIX, 'latin1');
    if (this.buffer.length < prefix.length) return null;
    if (!this.buffer.subarray(0, prefix.length).equals(prefix)) return { kind: 'bad_frame', reason: 'the connection did not open with API\\0' };
    const rest = this.buffer.subarray(prefix.length);
    const body = this.take(rest);
    if (body === null) return null;
    if (body === 'oversize') return { kind: 'bad_frame', reason: 'the handshake exceeds the TWS API message limit' };
    this.buffer = rest.subarray(4 + body.length);
    this.greeted = true;
    const raw = body.toString('utf8');
    return { kind: 'handshake', range: parseVersionRange(raw), raw };
  }

  private nextMessage(): FrameEvent | null {
    const body = this.take(this.buffer);
    if (body === null) return null;
    if (body === 'oversize') return { kind: 'bad_frame', reason: `a message longer than ${MAX_MESSAGE_BYTES} bytes exceeds the TWS API limit` };
    this.buffer = this.buffer.subarray(4 + body.length);
    const fields = body.toString('utf8').split('\0');
    // Every field is NUL-terminated, so the split leaves one empty string after the last.
    if (fields.at(-1) === '') fields.pop();
    return { kind: 'message', fields };
  }

  /** The body of a length-prefixed frame at the start of `buf`, or null while incomplete. */
  private take(buf: Buffer): Buffer | 'oversize' | null {
    if (buf.length < 4) return null;
    const size = buf.readUInt32BE(0);
    if (size > MAX_MESSAGE_BYTES) return 'oversize';
    if (buf.length < 4 + size) return null;
    return buf.subarray(4, 4 + size);
  }
}

/** Reads fields in order, as IB's decoders do: empty numbers are 0 (or undefined where IB says "max"). */
export class FieldReader {
  private i = 0;
  constructor(private readonly fields: readonly string[]) {}

  get remaining(): number {
    return this.fields.length - this.i;
  }

  str(): string {
    return this.fields[this.i++] ?? '';
  }

  int(): number {
    const s = this.str();
    const n = s === '' ? 0 : Number.parseInt(s, 10);
    return Number.isNaN(n) ? 0 : n;
  }

  /** A number that may be unset (empty, or IB's Double.MAX_VALUE / Integer.MAX_VALUE). */
  num(): number | undefined {
    const s = this.str();
    if (s === '') return undefined;
    const n = Number(s);
    if (!Number.isFinite(n) || n === Number.MAX_VALUE || n === 2147483647) return undefined;
    return n;
  }

  bool(): boolean {
    return this.int() !== 0;
  }

  skip(n: number): void {
    this.i += n;
  }
}
