// Kafka's wire types (https://kafka.apache.org/protocol#protocol_types), as kafka-protocol.ts
// needs them: the classic ones (int16-sized strings, int32-counted arrays) and the compact ones of
// flexible versions (unsigned varint lengths plus one, tagged fields), written and read.

export const int8 = (v: number) => Buffer.from([v & 0xff]);
export const int16 = (v: number) => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(v);
  return b;
};
export const int32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v);
  return b;
};
export const string = (v: string | null) => {
  if (v === null) return int16(-1);
  const bytes = Buffer.from(v, 'utf8');
  return Buffer.concat([int16(bytes.length), bytes]);
};
export const array = <T>(items: T[] | null, item: (v: T) => Buffer) => (items === null ? int32(-1) : Buffer.concat([int32(items.length), ...items.map(item)]));

export function uvarint(v: number): Buffer {
  const bytes: number[] = [];
  while (v >= 0x80) {
    bytes.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  bytes.push(v);
  return Buffer.from(bytes);
}
export const compactString = (v: string) => {
  const bytes = Buffer.from(v, 'utf8');
  return Buffer.concat([uvarint(bytes.length + 1), bytes]);
};
export const compactArray = <T>(items: T[], item: (v: T) => Buffer) => Buffer.concat([uvarint(items.length + 1), ...items.map(item)]);
/** An empty tagged-field section: what every struct of a flexible version ends with. */
export const noTags = () => uvarint(0);

/** Reads a response body front to back; a short or malformed body throws a RangeError. */
export class Reader {
  private at = 0;
  constructor(private readonly b: Buffer) {}
  int8 = () => this.b.readInt8((this.at += 1) - 1);
  bool = () => this.int8() !== 0;
  int16 = () => this.b.readInt16BE((this.at += 2) - 2);
  int32 = () => this.b.readInt32BE((this.at += 4) - 4);
  /** Log offsets: within 2^53 for any log that exists. */
  int64 = () => Number(this.b.readBigInt64BE((this.at += 8) - 8));
  uvarint = (): number => {
    let v = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const byte = this.b.readUInt8(this.at++);
      v += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return v;
    }
    throw new RangeError('a varint longer than 5 bytes');
  };
  private text(n: number): string {
    if (this.at + n > this.b.length) throw new RangeError('string past the end of the response');
    return this.b.toString('utf8', (this.at += n) - n, this.at);
  }
  string = (): string | null => {
    const n = this.int16();
    return n < 0 ? null : this.text(n);
  };
  compactString = (): string | null => {
    const n = this.uvarint();
    return n === 0 ? null : this.text(n - 1);
  };
  private count(n: number): number {
    if (n > this.b.length) throw new RangeError(`array of ${n} in a response of ${this.b.length} bytes`);
    return Math.max(n, 0);
  }
  array = <T>(item: () => T): T[] => Array.from({ length: this.count(this.int32()) }, item);
  compactArray = <T>(item: () => T): T[] => Array.from({ length: this.count(this.uvarint() - 1) }, item);
  /** Skips a tagged-field section (none of the fields read here is tagged). */
  tags = (): void => {
    for (let n = this.uvarint(); n > 0; n--) {
      this.uvarint();
      const size = this.uvarint();
      if (this.at + size > this.b.length) throw new RangeError('tagged field past the end of the response');
      this.at += size;
    }
  };
}
