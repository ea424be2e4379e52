import { request as httpRequest, IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ANONYMOUS_PATHS } from '../auth/token-authenticator';
import { DUMP_BODY_LIMIT } from './request-limits';
import { statusBody } from './status/kubernetes-status';

/** What the forwarding needs of the process's leadership (src/cluster/leader/leadership.ts). */
export interface LeaderView {
  readonly identity: string;
  readonly isLeader: boolean;
  /** The leader's API URL, as its Lease says; undefined when none is known. */
  leaderUrl(): string | undefined;
  /** Resolves once this process's store has seen the writes up to `revision`. */
  caughtUp(revision: number): Promise<void>;
}

/** Set by a follower on what it forwards: the leader answers it with its store's revision, and never forwards it again. */
export const FORWARDED_HEADER = 'x-kube-netsim-forwarded-by';
/** The leader's store revision once a forwarded request is answered (durable): the follower waits to have seen it. */
export const REVISION_HEADER = 'x-kube-netsim-revision';
/** Marks a 503 from a process that does not lead: the Lease's URL was stale (another process, or this one, listens there now). */
export const NOT_LEADER_HEADER = 'x-kube-netsim-not-leader';

/** How long a follower waits for a leader to answer (one that died is replaced within the lease duration). */
export const FORWARD_WAIT_MS = 30_000;
const RETRY_MS = 200;

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'upgrade', 'proxy-connection', 'te', 'trailer', 'host']);

/**
 * Whether a request must be answered by the leader: every write (only the
 * leader's store writes), and every kube-netsim endpoint (`/netsim/v1/...`:
 * rules, traces, traffic and the clock are the leader's components). Reads
 * of the Kubernetes API, watches, discovery, the UI and health answer here.
 */
export function answeredByLeader(method: string, path: string): boolean {
  if (ANONYMOUS_PATHS.has(path.replace(/\/$/, ''))) return false;
  return !READS.has(method) || path.startsWith('/netsim/');
}

/**
 * A process that does not lead forwards what only the leader answers to the
 * leader's API (its Lease's `kube-netsim.io/api-url`), with the client's own
 * headers (the leader authenticates the client), and answers once its own
 * store has seen what the write did, so that a read here that follows sees
 * it. While no leader answers (one died; another takes over within the lease
 * duration) it waits, up to FORWARD_WAIT_MS, then answers 503. A process
 * that becomes the leader meanwhile answers the request itself. The hook
 * runs first, before authentication and before any body is read.
 */
export function registerLeaderForwarding(fastify: FastifyInstance, leadership: LeaderView, storeRevision: () => string, options: { waitMs?: number } = {}): void {
  const waitMs = options.waitMs ?? FORWARD_WAIT_MS;
  fastify.addHook('onRequest', async (req, reply) => {
    if (leadership.isLeader) return;
    const path = req.url.split('?')[0];
    if (!answeredByLeader(req.method, path)) return;
    if (req.headers[FORWARDED_HEADER] !== undefined) {
      void reply.header(NOT_LEADER_HEADER, leadership.identity);
      return unavailable(reply, `this kube-netsim process (${leadership.identity}) is not the leader any more; retry`);
    }
    if (req.headers.upgrade !== undefined) {
      return unavailable(reply, `this kube-netsim process is not the leader: send exec, attach and port-forward to the leader (${leadership.leaderUrl() ?? 'none known yet'})`);
    }
    const body = READS.has(req.method) ? Buffer.alloc(0) : await readBody(req.raw);
    if (body === undefined) return reply.code(413).type('application/json').send(statusBody(413, 'RequestEntityTooLarge', 'the request body is too large'));
    const answer = await forward(fastify, req, body, leadership, waitMs);
    if ('unavailable' in answer) return unavailable(reply, answer.unavailable);
    const revision = Number(answer.headers[REVISION_HEADER]);
    if (Number.isInteger(revision) && revision > 0) await leadership.caughtUp(revision);
    for (const [name, value] of Object.entries(answer.headers)) {
      if (!HOP_BY_HOP.has(name) && name !== REVISION_HEADER && value !== undefined) void reply.header(name, value);
    }
    return reply.code(answer.status).send(answer.body);
  });
  // The leader: a forwarded request's answer says which revision the follower must have seen.
  fastify.addHook('onSend', async (req, reply) => {
    if (req.headers[FORWARDED_HEADER] !== undefined && leadership.isLeader) void reply.header(REVISION_HEADER, storeRevision());
  });
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

async function forward(fastify: FastifyInstance, req: FastifyRequest, body: Buffer, leadership: LeaderView, waitMs: number): Promise<Answer | { unavailable: string }> {
  const deadline = Date.now() + waitMs;
  let last = 'no leader is known yet';
  for (;;) {
    if (leadership.isLeader) {
      // Took over while waiting: answer here, through this process's own routes.
      const local = await fastify.inject({ method: req.method as 'POST', url: req.url, headers: req.headers, payload: body });
      return { status: local.statusCode, headers: local.headers as IncomingHttpHeaders, body: local.rawPayload };
    }
    const url = leadership.leaderUrl();
    if (url) {
      try {
        const answer = await send(url, req, body, leadership.identity);
        // The Lease still names a URL where a process that does not lead now listens (the old
        // leader's port taken again, by this process or another): wait, as for a dead leader.
        if (answer.status !== 503 || answer.headers[NOT_LEADER_HEADER] === undefined) return answer;
        last = `the process at ${url} is not the leader`;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        last = `the leader at ${url} does not answer (${(e as Error).message})`;
        // Only a request that never reached the leader is sent again.
        if (code !== 'ECONNREFUSED' && code !== 'EHOSTUNREACH' && code !== 'ENOTFOUND') return { unavailable: last };
      }
    }
    if (Date.now() >= deadline) return { unavailable: `this kube-netsim process is not the leader, and ${last}; retry` };
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
}

function send(base: string, req: FastifyRequest, body: Buffer, identity: string): Promise<Answer> {
  const target = new URL(req.url, base);
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(name) && value !== undefined) headers[name] = value;
  headers[FORWARDED_HEADER] = identity;
  if (body.length > 0) headers['content-length'] = String(body.length);
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    // The leader's certificate is its own (self-signed unless given): the client's token is what it checks.
    const outgoing = request(target, { method: req.method, headers, rejectUnauthorized: false }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** The whole body, or undefined past the largest any route takes. */
function readBody(raw: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    raw.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= DUMP_BODY_LIMIT) chunks.push(c);
    });
    raw.on('end', () => resolve(size > DUMP_BODY_LIMIT ? undefined : Buffer.concat(chunks)));
    raw.on('error', reject);
  });
}

function unavailable(reply: FastifyReply, message: string): FastifyReply {
  return reply.code(503).type('application/json').send(statusBody(503, 'ServiceUnavailable', message));
}
