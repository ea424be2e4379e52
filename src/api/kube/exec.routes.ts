import { Inject, Injectable } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PassThrough } from 'node:stream';
import type { WebSocket } from 'ws';
import { DomainError } from '../../common/domain-error';
import { PodExec } from '../../exec/pod-exec';
import type { Shell } from '../../exec/shell';
import { InteractiveSession } from '../../exec/terminal';
import { reasonOfHttpStatus, statusBody, statusOfDomainError } from '../status/kubernetes-status';
import { BODY_LIMIT } from '../request-limits';
import { POD_EXEC } from '../tokens';
import { StreamChannel, STREAM_PROTOCOLS, exitStatus, frame } from './exec-protocol';

type Query = Record<string, string | string[] | undefined>;
type Params = { namespace: string; name: string };

const POD_PATH = '/api/v1/namespaces/:namespace/pods/:name';

function all(query: Query, key: string): string[] {
  const v = query[key];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function one(query: Query, key: string): string | undefined {
  return all(query, key)[0];
}

function flag(query: Query, key: string): boolean {
  const v = one(query, key);
  return v === 'true' || v === '1';
}

function integer(query: Query, key: string): number | undefined {
  const v = one(query, key);
  if (v === undefined || v === '') return undefined;
  if (!/^-?[0-9]+$/.test(v)) throw new DomainError('BAD_REQUEST', `${key}: Invalid value: "${v}": must be an integer`);
  return Number(v);
}

function sendError(reply: FastifyReply, e: unknown): FastifyReply {
  if (!(e instanceof DomainError)) throw e;
  const status = statusOfDomainError(e);
  return reply.code(status.code).type('application/json').send(status);
}

/** What the exec request asked for, checked as the API server checks it. */
interface ExecRequest {
  shell: Shell;
  /** attach: the container's command, which ends the container when it ends. */
  attach?: { namespace: string; pod: string; container?: string };
  command: string[];
  stdin: boolean;
  tty: boolean;
}

const kExec = Symbol('kube-netsim exec');

/**
 * Wall-clock time between the upgrade and the first output of a command that reads no stdin. client-go
 * (kubectl v1.30+, WebSocket v5) reads the connection in one goroutine while another creates its
 * stdout/stderr/error streams; a frame read before its stream exists is dropped ("Unknown stream id 1,
 * discarding message"), so output sent the instant the connection opens was lost on a loaded machine
 * (4 of 300 `kubectl exec POD -- cat /etc/hosts` at load 47). A real cluster has the hop to the kubelet
 * and the container runtime's exec here (tens of ms); this stands for it.
 */
export const EXEC_START_DELAY_MS = 100;

/** Runs `start` once kubectl has had time to open its streams, unless the connection is gone by then. */
function whenStreamsOpen(socket: WebSocket, start: () => void): void {
  const timer = setTimeout(() => socket.readyState === socket.OPEN && start(), EXEC_START_DELAY_MS);
  socket.once('close', () => clearTimeout(timer));
}

/** `sh`, `/bin/sh`, `bash`, `ash` without `-c`: a shell reading commands from its terminal. */
function isInteractiveShell(command: readonly string[]): boolean {
  const name = command[0]?.slice(command[0].lastIndexOf('/') + 1);
  return (name === 'sh' || name === 'ash' || name === 'bash') && !command.includes('-c');
}

/**
 * The streaming subresources of pods, as Fastify routes (a WebSocket needs
 * the server's `upgrade` event, which Nest's controllers do not see):
 *
 * - `pods/exec`: a WebSocket (`v5.channel.k8s.io`, `v4.channel.k8s.io`)
 *   running a simulated shell (src/exec) in the pod;
 * - `pods/attach`: the container's own command, run the same way (what
 *   `kubectl run -it … -- CMD` shows);
 * - `pods/log`: the pod's access log as text, `follow=true` a stream;
 * - `pods/portforward`: a 400 Status that names what works instead.
 *
 * Errors are found before any upgrade (a `preValidation` hook), so a client
 * gets them as a `Status` with the right code. The routes go through
 * Fastify's routing like every other request (hooks included).
 */
@Injectable()
export class ExecRoutes {
  constructor(
    @Inject(POD_EXEC) private readonly exec: PodExec,
  ) {}

  /** Adds the routes to `fastify`, a context where @fastify/websocket is loaded (configureApp). */
  addRoutes(fastify: FastifyInstance): void {
    for (const sub of ['exec', 'attach'] as const) {
      fastify.route<{ Params: Params; Querystring: Query }>({
        method: 'GET',
        url: `${POD_PATH}/${sub}`,
        preValidation: (req, reply, done) => this.prepare(sub, req, reply, done),
        handler: (_req, reply) => {
          reply.code(400).type('application/json').send(statusBody(400, 'BadRequest', 'Upgrade request required'));
        },
        wsHandler: (socket, req) => this.run(socket, (req.raw as unknown as Record<symbol, ExecRequest>)[kExec]),
      });
      // kubectl falls back to SPDY (a POST) when the WebSocket upgrade fails: the same checks, then why SPDY is not spoken.
      // Answered before the handler, which @fastify/websocket would otherwise try to upgrade.
      fastify.route<{ Params: Params; Querystring: Query }>({
        method: 'POST',
        url: `${POD_PATH}/${sub}`,
        preValidation: (req, reply, done) =>
          this.prepare(sub, req, reply, () => {
            if (!reply.sent) {
              const message = `kube-netsim streams pods/${sub} over WebSocket only (${STREAM_PROTOCOLS.join(', ')}), not SPDY: use kubectl 1.31 or later, or a WebSocket client`;
              reply.code(400).type('application/json').send(statusBody(400, 'BadRequest', message));
            }
            done();
          }),
        handler: () => undefined,
      });
    }
    const portForward = (_req: FastifyRequest, reply: FastifyReply, done: () => void) => {
      const message =
        'port-forward is not supported by kube-netsim: pods run no processes on this machine. Send traffic from inside the cluster instead: `kubectl exec POD -- curl -s SERVICE`, or `POST /netsim/v1/traffic` to see every hop';
      reply.code(400).type('application/json').send(statusBody(400, reasonOfHttpStatus(400), message));
      done();
    };
    fastify.route({ method: ['GET', 'POST'], url: `${POD_PATH}/portforward`, preValidation: portForward, handler: () => undefined });
    fastify.route<{ Params: Params; Querystring: Query }>({ method: 'GET', url: `${POD_PATH}/log`, handler: (req, reply) => this.log(req, reply) });
  }

  private prepare(sub: 'exec' | 'attach', req: FastifyRequest<{ Params: Params; Querystring: Query }>, reply: FastifyReply, done: () => void): void {
    try {
      const query = req.query;
      const target = { namespace: req.params.namespace, pod: req.params.name, container: one(query, 'container') };
      const stdin = flag(query, 'stdin');
      if (!stdin && !flag(query, 'stdout') && !flag(query, 'stderr')) throw new DomainError('BAD_REQUEST', 'you must specify at least 1 of stdin, stdout, stderr');
      let command: string[];
      if (sub === 'exec') {
        command = all(query, 'command');
        if (command.length === 0) throw new DomainError('BAD_REQUEST', 'you must specify at least one command for the container');
      } else {
        command = this.exec.containerCommand(target);
      }
      const shell = this.exec.shell(target);
      if (sub === 'attach' && command.length === 0) {
        throw new DomainError('BAD_REQUEST', `kube-netsim attaches to a container by running its command, and container of pod ${req.params.name} has none: give one (\`kubectl run NAME -it --image=busybox -- COMMAND\`) or use \`kubectl exec ${req.params.name} -- COMMAND\``);
      }
      // attach runs the container's own command at once: its stdin is the user's terminal, which never closes.
      const attach = sub === 'attach' ? target : undefined;
      (req.raw as unknown as Record<symbol, ExecRequest>)[kExec] = { shell, command, stdin: stdin && !attach, tty: flag(query, 'tty'), attach };
      done();
    } catch (e) {
      sendError(reply, e);
      done();
    }
  }

  /** Runs the command once stdin (if asked for) is closed, then sends the exit status on the error channel and closes. */
  private run(socket: WebSocket, request: ExecRequest): void {
    if (request.tty && request.stdin && isInteractiveShell(request.command)) return this.interactive(socket, request);
    const v5 = socket.protocol === 'v5.channel.k8s.io';
    let input = '';
    let started = false;
    const start = () => {
      if (started) return;
      started = true;
      const send = (channel: StreamChannel, text: string) => {
        if (text === '' || socket.readyState !== socket.OPEN) return;
        socket.send(frame(channel, request.tty ? text.replace(/\r?\n/g, '\r\n') : text));
      };
      let printed = '';
      const out = (t: string) => {
        printed += t;
        send(StreamChannel.Stdout, t);
      };
      const err = (t: string) => {
        printed += t;
        send(request.tty ? StreamChannel.Stdout : StreamChannel.Stderr, t);
      };
      let code: number;
      request.shell.tty = request.tty;
      try {
        code = request.shell.exec(request.command, out, err, input);
      } catch (e) {
        err(`kube-netsim: ${(e as Error).message}\n`);
        code = 1;
      }
      if (socket.readyState === socket.OPEN) {
        // An attached stream just ends with the container; its exit code is in the pod's status.
        socket.send(frame(StreamChannel.Error, JSON.stringify(exitStatus(request.attach ? 0 : code, request.command))));
        socket.close(1000);
      }
      if (request.attach) this.exec.containerExited(request.attach, code, printed);
    };
    // With a terminal, a command that is not a shell does not wait for input.
    if (!request.stdin || request.tty) return whenStreamsOpen(socket, start);
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary || data.length === 0) return;
      if (data[0] === StreamChannel.Stdin) {
        if (input.length + data.length - 1 > BODY_LIMIT) {
          // Standard input is read whole before the command runs: it is held to a request body's size.
          started = true;
          socket.send(frame(StreamChannel.Error, JSON.stringify(statusBody(413, 'RequestEntityTooLarge', `Request entity too large: standard input is limited to ${BODY_LIMIT} bytes`))));
          socket.close(1009);
          return;
        }
        input += data.subarray(1).toString('utf8');
      }
      else if (v5 && data[0] === StreamChannel.Close && data[1] === StreamChannel.Stdin) start();
    });
    // Without a close signal (v4), stdin ends with the connection: nothing can be answered then.
    socket.on('close', () => (started = true));
  }

  /** `kubectl exec -it POD -- sh`: a prompt, line by line, until `exit` or Ctrl-D. */
  private interactive(socket: WebSocket, request: ExecRequest): void {
    request.shell.tty = true;
    const session = new InteractiveSession(request.shell, (text) => {
      if (socket.readyState === socket.OPEN) socket.send(frame(StreamChannel.Stdout, text));
    });
    const finish = () => {
      if (socket.readyState !== socket.OPEN) return;
      socket.send(frame(StreamChannel.Error, JSON.stringify(exitStatus(session.status, request.command))));
      socket.close(1000);
    };
    // The prompt waits for kubectl's streams, or for its first message (sent once they are open).
    let opened = false;
    const open = () => {
      if (opened) return;
      opened = true;
      session.start();
    };
    whenStreamsOpen(socket, open);
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      open();
      if (!isBinary || data.length === 0 || session.done) return;
      if (data[0] === StreamChannel.Stdin) {
        session.feed(data.subarray(1).toString('utf8'));
        if (session.done) finish();
      } else if (data[0] === StreamChannel.Close && data[1] === StreamChannel.Stdin) {
        session.feed('\x04');
        finish();
      }
    });
  }

  private log(req: FastifyRequest<{ Params: Params; Querystring: Query }>, reply: FastifyReply): FastifyReply | void {
    try {
      const query = req.query;
      const target = { namespace: req.params.namespace, pod: req.params.name, container: one(query, 'container') };
      if (flag(query, 'previous')) {
        const container = target.container ?? '';
        throw new DomainError('BAD_REQUEST', `previous terminated container "${container}" in pod "${req.params.name}" not found`);
      }
      const timestamps = flag(query, 'timestamps');
      const { uid, container, lines } = this.exec.logLines(target, {
        tailLines: integer(query, 'tailLines'),
        sinceSeconds: integer(query, 'sinceSeconds'),
        limitBytes: integer(query, 'limitBytes'),
        timestamps,
      });
      const text = lines.map((l) => `${l}\n`).join('');
      reply.type('text/plain');
      if (!flag(query, 'follow')) return reply.send(text);
      const stream = new PassThrough();
      stream.write(text);
      const stop = this.exec.followLog(
        uid,
        container,
        timestamps,
        (line) => stream.write(`${line}\n`),
        () => stream.end(),
      );
      req.raw.on('close', () => {
        stop();
        stream.end();
      });
      return reply.send(stream);
    } catch (e) {
      return sendError(reply, e);
    }
  }
}
