import { gzipSync } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Bodies smaller than this go out as they are: compressing them saves little. */
const COMPRESS_FROM_BYTES = 4096;

/**
 * Whether an `Accept-Encoding` header admits gzip (RFC 9110: `gzip` or `*`,
 * unless given `q=0`; an explicit `gzip` entry overrides `*`).
 */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  let star: boolean | undefined;
  for (const part of header.split(',')) {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const accepted = q === undefined || Number(q.slice(2)) > 0;
    if (coding === 'gzip' || coding === 'x-gzip') return accepted;
    if (coding === '*') star = accepted;
  }
  return star ?? false;
}

interface Encoded {
  json: Buffer;
  gzip?: Buffer;
}

/**
 * Sends large JSON answers, gzip-compressed when the client accepts it, and
 * keeps the encodings of frozen answers (shared, unchangeable: an answer
 * cache's), so an answer given again costs neither JSON nor gzip again.
 */
export class JsonBodies {
  private readonly encoded = new WeakMap<object, Encoded>();

  send(req: FastifyRequest, res: FastifyReply, answer: object): void {
    let encoded = this.encoded.get(answer);
    if (encoded === undefined) {
      encoded = { json: Buffer.from(JSON.stringify(answer)) };
      if (Object.isFrozen(answer)) this.encoded.set(answer, encoded);
    }
    res.type('application/json; charset=utf-8').header('Vary', 'Accept-Encoding');
    if (encoded.json.length < COMPRESS_FROM_BYTES || !acceptsGzip(req.headers['accept-encoding'])) {
      res.send(encoded.json);
      return;
    }
    encoded.gzip ??= gzipSync(encoded.json);
    res.header('Content-Encoding', 'gzip').send(encoded.gzip);
  }
}
