import { createServer, Server as NetServer } from 'node:net';
import { INestApplication } from '@nestjs/common';

/** Where the app listens, once it does. */
export interface Listening {
  /** The port (the one the kernel chose when asked for port 0). */
  readonly port: number;
  /** Every address served, as `host:port` (`[::1]:3000` for IPv6). */
  readonly addresses: readonly string[];
  /** The URL a client on this host should use (the kubeconfig's `server`). */
  readonly url: string;
  /** True when other hosts may connect: BIND_ADDRESS names a non-loopback address. */
  readonly open: boolean;
  /** What could not be done and was done without (no IPv6, say). */
  readonly notes: readonly string[];
}

const NO_ADDRESS = new Set(['EADDRNOTAVAIL', 'EAFNOSUPPORT']);

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Loopback: 127.0.0.0/8, ::1, and IPv4-mapped loopback. */
/** Is this BIND_ADDRESS every interface (kube-apiserver: "all interfaces and IP address families")? */
export function isUnspecified(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

export function isLoopback(address: string): boolean {
  const a = address.toLowerCase();
  return a.startsWith('127.') || a === '::1' || a.startsWith('::ffff:127.');
}

function listenExtra(server: NetServer, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Starts serving, as BIND_ADDRESS (kube-apiserver's `--bind-address`) says:
 *
 * - absent: loopback only, 127.0.0.1 and ::1 on the same port, so `localhost`
 *   works whichever address it resolves to. The app's HTTP server listens on
 *   127.0.0.1; a plain TCP listener on ::1 hands its connections to that same
 *   server, so both share every setting (timeouts, limits, error handling).
 *   (The app's server does the TLS handshake of an HTTPS connection, whichever
 *   listener accepted it.) A host without IPv6 serves 127.0.0.1 alone, with a note.
 * - `0.0.0.0` or `::`: every interface and address family (`::`), or IPv4
 *   alone (`0.0.0.0`) on a host without IPv6;
 * - any other address: that one.
 */
export async function listenOn(app: INestApplication, port: number, bindAddress: string | undefined, scheme: 'http' | 'https' = 'http'): Promise<Listening> {
  const notes: string[] = [];
  if (bindAddress === undefined) {
    await app.listen(port, '127.0.0.1');
    const http = app.getHttpServer() as NetServer;
    const actual = (http.address() as { port: number }).port;
    const extra = createServer((socket) => http.emit('connection', socket));
    try {
      await listenExtra(extra, actual, '::1');
      http.once('close', () => extra.close());
      return { port: actual, addresses: [hostPort('127.0.0.1', actual), hostPort('::1', actual)], url: `${scheme}://127.0.0.1:${actual}`, open: false, notes };
    } catch (e) {
      if (!NO_ADDRESS.has((e as NodeJS.ErrnoException).code ?? '')) {
        await app.close();
        throw e;
      }
      notes.push('the IPv6 loopback address ::1 is not available on this host: serving 127.0.0.1 only');
      return { port: actual, addresses: [hostPort('127.0.0.1', actual)], url: `${scheme}://127.0.0.1:${actual}`, open: false, notes };
    }
  }
  if (isUnspecified(bindAddress)) {
    let host = '::';
    try {
      await app.listen(port, host);
    } catch (e) {
      if (!NO_ADDRESS.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
      host = '0.0.0.0';
      notes.push('IPv6 is not available on this host: serving IPv4 only');
      await app.listen(port, host);
    }
    const actual = (app.getHttpServer().address() as { port: number }).port;
    return { port: actual, addresses: [hostPort(host, actual)], url: `${scheme}://127.0.0.1:${actual}`, open: true, notes };
  }
  await app.listen(port, bindAddress);
  const actual = (app.getHttpServer().address() as { port: number }).port;
  return {
    port: actual,
    addresses: [hostPort(bindAddress, actual)],
    url: `${scheme}://${hostPort(bindAddress, actual)}`,
    open: !isLoopback(bindAddress),
    notes,
  };
}
