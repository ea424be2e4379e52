/**
 * SHA-256 (FIPS 180-4) for the short strings chain names are hashed from.
 * `node:crypto` spends several microseconds per call on object set-up; a
 * 10,000-Service node hashes over 110,000 such strings in its first sync, so
 * this allocation-free version (typed arrays reused across calls) is used
 * instead. `chain-names.spec.ts` checks it against `node:crypto`.
 */

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be,
  0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa,
  0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85,
  0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
  0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
  0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const INIT = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);

const W = new Int32Array(64);
const H = new Int32Array(8);
let buf = new Uint8Array(256);

/** Copies the UTF-8 bytes of `input` into `buf` (ASCII in one pass); returns their count. */
function bytesOf(input: string): number {
  const n = input.length;
  if (n + 72 > buf.length) buf = new Uint8Array(2 * (n + 72));
  for (let i = 0; i < n; i++) {
    const c = input.charCodeAt(i);
    if (c > 127) return utf8BytesOf(input);
    buf[i] = c;
  }
  return n;
}

function utf8BytesOf(input: string): number {
  const encoded = Buffer.from(input, 'utf8');
  if (encoded.length + 72 > buf.length) buf = new Uint8Array(2 * (encoded.length + 72));
  buf.set(encoded);
  return encoded.length;
}

function compress(offset: number): void {
  for (let t = 0; t < 16; t++) {
    const j = offset + 4 * t;
    W[t] = (buf[j] << 24) | (buf[j + 1] << 16) | (buf[j + 2] << 8) | buf[j + 3];
  }
  for (let t = 16; t < 64; t++) {
    const w15 = W[t - 15];
    const w2 = W[t - 2];
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    W[t] = (W[t - 16] + s0 + W[t - 7] + s1) | 0;
  }
  let a = H[0];
  let b = H[1];
  let c = H[2];
  let d = H[3];
  let e = H[4];
  let f = H[5];
  let g = H[6];
  let h = H[7];
  for (let t = 0; t < 64; t++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const ch = (e & f) ^ (~e & g);
    const t1 = (h + S1 + ch + K[t] + W[t]) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const maj = (a & b) ^ (a & c) ^ (b & c);
    const t2 = (S0 + maj) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  H[0] = (H[0] + a) | 0;
  H[1] = (H[1] + b) | 0;
  H[2] = (H[2] + c) | 0;
  H[3] = (H[3] + d) | 0;
  H[4] = (H[4] + e) | 0;
  H[5] = (H[5] + f) | 0;
  H[6] = (H[6] + g) | 0;
  H[7] = (H[7] + h) | 0;
}

/**
 * The SHA-256 digest of the UTF-8 bytes of `input`, as eight 32-bit words
 * (big-endian word order, as the standard prints them). The returned array is
 * reused by the next call.
 */
export function sha256Words(input: string): Int32Array {
  const n = bytesOf(input);
  const total = (((n + 8) >>> 6) + 1) << 6; // message + 0x80 + 8-byte length, rounded up to 64
  buf[n] = 0x80;
  for (let i = n + 1; i < total - 4; i++) buf[i] = 0;
  const bits = n * 8;
  buf[total - 4] = bits >>> 24;
  buf[total - 3] = (bits >>> 16) & 255;
  buf[total - 2] = (bits >>> 8) & 255;
  buf[total - 1] = bits & 255;
  H[0] = INIT[0];
  H[1] = INIT[1];
  H[2] = INIT[2];
  H[3] = INIT[3];
  H[4] = INIT[4];
  H[5] = INIT[5];
  H[6] = INIT[6];
  H[7] = INIT[7];
  for (let off = 0; off < total; off += 64) compress(off);
  return H;
}

/** The digest as lower-case hex (for tests). */
export function sha256Hex(input: string): string {
  const words = sha256Words(input);
  let out = '';
  for (let i = 0; i < 8; i++) out += (words[i] >>> 0).toString(16).padStart(8, '0');
  return out;
}
