/**
 * `curl` (curl 8), `wget` and `nc` (busybox) over the pod's simulated
 * sockets, printing what the real tools print and exiting with their codes:
 * curl 6 (name not resolved), 7 (refused, unreachable), 28 (timed out);
 * wget and nc 1.
 */
import type { CommandContext, CommandHandler } from '../shell';
import { firstAddress, type ConnectResult, type Lookup, type PodSockets, type Server } from '../pod-sockets';
import { joinHostPort } from '../../kube-proxy/ip';
import type { PodView } from '../pod-view';
import { SERVICE_ACCOUNT_CA } from '../api-server';

export interface PodTools {
  view: PodView;
  sockets: PodSockets;
}

export const CURL_VERSION = '8.11.1';
/** Linux gives up a TCP connect after 6 SYN retries (1+2+4+...+64 s). */
export const KERNEL_CONNECT_TIMEOUT_MS = 127_000;
/** musl's resolver: 2 attempts of 5 s before it gives up on a silent nameserver. */
export const RESOLVER_TIMEOUT_MS = 10_000;

interface Url {
  scheme: 'http' | 'https';
  host: string;
  port: number;
  path: string;
}

function parseUrl(text: string): Url | undefined {
  const m = /^(?:([a-zA-Z][a-zA-Z0-9+.-]*):\/\/)?(\[[^\]]*\]|[^/:?#]*)(?::([0-9]*))?([/?#].*)?$/.exec(text);
  if (!m || !m[2]) return undefined;
  const scheme = (m[1] ?? 'http').toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') return undefined;
  const port = m[3] ? Number(m[3]) : scheme === 'https' ? 443 : 80;
  let path = m[4] ?? '/';
  if (!path.startsWith('/')) path = `/${path}`;
  return { scheme, host: m[2], port, path: path.replace(/#.*$/, '') };
}

/** curl 8's text when the server's certificate does not verify (exit 60). */
const CERTIFICATE_PROBLEM = [
  'SSL certificate problem: unable to get local issuer certificate',
  'More details here: https://curl.se/docs/sslcerts.html',
  '',
  'curl failed to verify the legitimacy of the server and therefore could not',
  'establish a secure connection to it. To learn more about this situation and',
  'how to fix it, please visit the webpage mentioned above.',
].join('\n');

const STATUS_TEXT: Record<number, string> = { 200: 'OK', 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found' };

function seconds(text: string | undefined): number | undefined {
  if (text === undefined || !/^[0-9]*\.?[0-9]+$/.test(text)) return undefined;
  return Math.round(Number(text) * 1000);
}

interface CurlOptions {
  silent: boolean;
  showError: boolean;
  verbose: boolean;
  head: boolean;
  fail: boolean;
  /** `-k`: do not verify the server's certificate. */
  insecure: boolean;
  /** `--cacert FILE`. */
  cacert?: string;
  maxTimeMs?: number;
  connectTimeoutMs?: number;
  output?: string;
  writeOut?: string;
  method?: string;
  userAgent: string;
  url?: string;
}

const CURL_VALUE_SHORT = new Set(['m', 'o', 'w', 'X', 'H', 'A', 'd', 'u', 'e', 'x']);

function curlOptions(args: string[], err: (t: string) => void): CurlOptions | number {
  const o: CurlOptions = { silent: false, showError: false, verbose: false, head: false, fail: false, insecure: false, userAgent: `curl/${CURL_VERSION}` };
  const value = (i: number, name: string): string | undefined => {
    const v = args[i + 1];
    if (v === undefined) err(`curl: option ${name}: requires parameter\ncurl: try 'curl --help' or 'curl --manual' for more information\n`);
    return v;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const setLong = (name: string, v: string | undefined): number | undefined => {
      if (v === undefined) return 2;
      switch (name) {
        case '--max-time':
          o.maxTimeMs = seconds(v);
          break;
        case '--connect-timeout':
          o.connectTimeoutMs = seconds(v);
          break;
        case '--output':
          o.output = v;
          break;
        case '--write-out':
          o.writeOut = v;
          break;
        case '--request':
          o.method = v;
          break;
        case '--user-agent':
          o.userAgent = v;
          break;
        case '--cacert':
          o.cacert = v;
          break;
      }
      return undefined;
    };
    if (a.startsWith('--')) {
      const [name, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
      switch (name) {
        case '--silent':
          o.silent = true;
          continue;
        case '--show-error':
          o.showError = true;
          continue;
        case '--verbose':
          o.verbose = true;
          continue;
        case '--head':
          o.head = true;
          continue;
        case '--fail':
          o.fail = true;
          continue;
        case '--insecure':
          o.insecure = true;
          continue;
        case '--location':
        case '--compressed':
        case '--no-progress-meter':
          continue;
        case '--max-time':
        case '--connect-timeout':
        case '--output':
        case '--write-out':
        case '--request':
        case '--user-agent':
        case '--cacert':
        case '--header':
        case '--data':
          if (setLong(name, inline ?? value(i, name)) !== undefined) return 2;
          if (inline === undefined) i++;
          continue;
        case '--url':
          o.url = inline ?? args[++i];
          continue;
        default:
          err(`curl: option ${a}: is unknown\ncurl: try 'curl --help' or 'curl --manual' for more information\n`);
          return 2;
      }
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let k = 1; k < a.length; k++) {
        const f = a[k];
        if (CURL_VALUE_SHORT.has(f)) {
          const rest = a.slice(k + 1);
          const v = rest !== '' ? rest : value(i, `-${f}`);
          if (v === undefined) return 2;
          if (rest === '') i++;
          if (f === 'm') o.maxTimeMs = seconds(v);
          else if (f === 'o') o.output = v;
          else if (f === 'w') o.writeOut = v;
          else if (f === 'X') o.method = v;
          else if (f === 'A') o.userAgent = v;
          break;
        }
        if (f === 's') o.silent = true;
        else if (f === 'S') o.showError = true;
        else if (f === 'v') o.verbose = true;
        else if (f === 'I') o.head = true;
        else if (f === 'f') o.fail = true;
        else if (f === 'k') o.insecure = true;
        else if (f === 'L') continue;
        else {
          err(`curl: option -${f}: is unknown\ncurl: try 'curl --help' or 'curl --manual' for more information\n`);
          return 2;
        }
      }
      continue;
    }
    o.url = a;
  }
  return o;
}

/** Where to print a connection's failure, and how long it took. */
interface Failure {
  code: number;
  message: string;
  elapsedMs: number;
}

function curlFailure(o: CurlOptions, host: string, port: number, connect: Exclude<ConnectResult, { kind: 'connected' }>): Failure {
  if (connect.kind === 'refused' || connect.kind === 'unreachable') {
    return { code: 7, message: `Failed to connect to ${host} port ${port} after 0 ms: Couldn't connect to server`, elapsedMs: 0 };
  }
  const ct = o.connectTimeoutMs;
  const mt = o.maxTimeMs;
  if (ct !== undefined && ct > 0 && ct < KERNEL_CONNECT_TIMEOUT_MS && (mt === undefined || mt === 0 || ct <= mt)) {
    return { code: 28, message: `Failed to connect to ${host} port ${port} after ${ct} ms: Timeout was reached`, elapsedMs: ct };
  }
  if (mt !== undefined && mt > 0 && mt < KERNEL_CONNECT_TIMEOUT_MS) return { code: 28, message: `Connection timed out after ${mt} milliseconds`, elapsedMs: mt };
  return { code: 28, message: `Failed to connect to ${host} port ${port} after ${KERNEL_CONNECT_TIMEOUT_MS} ms: Couldn't connect to server`, elapsedMs: KERNEL_CONNECT_TIMEOUT_MS };
}

/** curl's `max5data`: a size in at most 5 characters. */
function max5(n: number): string {
  if (n < 100000) return String(n).padStart(5);
  if (n < 10000 * 1024) return `${Math.floor(n / 1024)}k`.padStart(5);
  if (n < 100 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)}M`.padStart(5);
  return `${Math.floor(n / 1024 / 1024)}M`.padStart(5);
}

const METER_HEADER =
  '  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n' + '                                 Dload  Upload   Total   Spent    Left  Speed\n';

/** One line of curl's progress meter, after `\r`; a simulated transfer takes 1 ms. */
function meterLine(bytes: number): string {
  const pct = (bytes > 0 ? '100' : '  0').padStart(3);
  const speed = max5(bytes * 1000);
  return `\r${pct} ${max5(bytes)}  ${pct} ${max5(bytes)}    0 ${max5(0)}  ${speed}  ${max5(0)} --:--:-- --:--:-- --:--:-- ${speed}`;
}

function writeOut(format: string, values: Record<string, string>): string {
  return format.replace(/%\{([a-z_]+)\}/g, (m, key: string) => values[key] ?? '').replace(/\\n/g, '\n').replace(/\\t/g, '\t');
}

function curl(tools: PodTools): CommandHandler {
  return (ctx) => {
    const parsed = curlOptions(ctx.args, ctx.err);
    if (typeof parsed === 'number') return parsed;
    const o = parsed;
    const showErrors = !o.silent || o.showError;
    // The progress meter goes to stderr unless silenced, verbose, or the body goes to a terminal.
    const meter = !o.silent && !o.verbose && (!ctx.shell.tty || (o.output !== undefined && o.output !== '-'));
    let metered = false;
    const startMeter = () => {
      if (!meter || metered) return;
      metered = true;
      ctx.err(METER_HEADER + meterLine(0));
    };
    const fail = (code: number, message: string): number => {
      if (metered) ctx.err('\n');
      if (o.writeOut) ctx.out(writeOut(o.writeOut, { http_code: '000', remote_ip: '', exitcode: String(code), errormsg: message }));
      if (showErrors) ctx.err(`curl: (${code}) ${message}\n`);
      return code;
    };
    if (o.url === undefined) {
      ctx.err("curl: no URL specified\ncurl: try 'curl --help' or 'curl --manual' for more information\n");
      return 2;
    }
    const url = parseUrl(o.url);
    if (!url) {
      const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(o.url)?.[1];
      return fail(scheme ? 1 : 3, scheme ? `Protocol "${scheme}" not supported` : `URL rejected: Malformed input to a URL function`);
    }
    startMeter();
    const lookup = tools.sockets.lookup(tools.view, url.host);
    if (lookup.kind !== 'addresses') {
      if (lookup.kind === 'no-server') {
        const limit = o.maxTimeMs !== undefined && o.maxTimeMs > 0 && o.maxTimeMs < RESOLVER_TIMEOUT_MS ? o.maxTimeMs : undefined;
        ctx.shell.elapsedMs += limit ?? RESOLVER_TIMEOUT_MS;
        if (limit !== undefined) return fail(28, `Resolving timed out after ${limit} milliseconds`);
      }
      return fail(6, `Could not resolve host: ${url.host}`);
    }
    const address = firstAddress(lookup);
    if (address === undefined) return fail(6, `Could not resolve host: ${url.host}`);
    if (o.verbose) {
      ctx.err(`* Host ${url.host}:${url.port} was resolved.\n* IPv6: ${lookup.aaaa?.join(', ') || '(none)'}\n* IPv4: ${lookup.addresses.join(', ') || '(none)'}\n*   Trying ${joinHostPort(address, url.port)}...\n`);
    }
    const connect = tools.sockets.connect(tools.view, address, url.port);
    if (connect.kind !== 'connected') {
      const f = curlFailure(o, url.host, url.port, connect);
      ctx.shell.elapsedMs += f.elapsedMs;
      return fail(f.code, f.message);
    }
    if (o.verbose) ctx.err(`* Connected to ${url.host} (${address}) port ${url.port}\n`);
    const tls = url.scheme === 'https';
    if (tls) {
      // Only the API server speaks TLS; its certificate is signed by the cluster CA (the service account's ca.crt).
      if (!tools.sockets.speaksTls(connect.server)) return fail(35, 'OpenSSL/3.3.2: error:0A00010B:SSL routines::wrong version number');
      if (!o.insecure && o.cacert !== SERVICE_ACCOUNT_CA) return fail(60, CERTIFICATE_PROBLEM);
      if (o.verbose) ctx.err('* SSL connection using TLSv1.3 / TLS_AES_128_GCM_SHA256 / x25519 / RSASSA-PSS\n* Server certificate:\n*  subject: CN=kube-apiserver\n');
    }
    const method = o.method ?? (o.head ? 'HEAD' : 'GET');
    const response = tools.sockets.serve(connect.server, { method, path: url.path, userAgent: o.userAgent }, tls);
    const statusLine = `HTTP/1.1 ${response.status} ${STATUS_TEXT[response.status] ?? ''}`.trimEnd();
    if (o.fail && response.status >= 400) {
      if (o.verbose) ctx.err(`< ${statusLine}\n`);
      return fail(22, `The requested URL returned error: ${response.status}`);
    }
    const hostHeader = url.port === 80 ? url.host : `${url.host}:${url.port}`;
    if (o.verbose) {
      ctx.err([`> ${method} ${url.path} HTTP/1.1`, `> Host: ${hostHeader}`, `> User-Agent: ${o.userAgent}`, '> Accept: */*', '> ', '* Request completely sent off'].map((l) => `${l}\n`).join(''));
      ctx.err([`< ${statusLine}`, ...response.headers.map(([k, v]) => `< ${k}: ${v}`), '< '].map((l) => `${l}\n`).join(''));
    }
    let body = '';
    if (o.head) body = [statusLine, ...response.headers.map(([k, v]) => `${k}: ${v}`), '', ''].join('\r\n');
    else if (method !== 'HEAD') body = response.body;
    if (o.output !== undefined && o.output !== '-' && o.output !== '/dev/null') {
      if (showErrors) ctx.err(`Warning: Failed to open the file ${o.output}: Read-only file system\n`);
      return fail(23, 'client returned ERROR on write of ' + Buffer.byteLength(body) + ' bytes');
    }
    if (o.output !== '/dev/null') ctx.out(body);
    if (metered) ctx.err(`${meterLine(Buffer.byteLength(body))}\n`);
    if (o.verbose) ctx.err(`* Connection #0 to host ${url.host} left intact\n`);
    if (o.writeOut) ctx.out(writeOut(o.writeOut, { http_code: String(response.status), remote_ip: address, remote_port: String(url.port), exitcode: '0', errormsg: '', size_download: String(Buffer.byteLength(body)), url_effective: `${url.scheme}://${hostHeader}${url.path}` }));
    return 0;
  };
}

// ---- wget (busybox) ------------------------------------------------------------------

function wget(tools: PodTools): CommandHandler {
  return (ctx) => {
    let quiet = false;
    let output: string | undefined;
    let spider = false;
    let timeoutMs: number | undefined;
    let userAgent = 'Wget';
    let target: string | undefined;
    for (let i = 0; i < ctx.args.length; i++) {
      const a = ctx.args[i];
      if (a === '--spider') spider = true;
      else if (a === '-q' || a === '--quiet') quiet = true;
      else if (a === '-O' || a === '--output-document') output = ctx.args[++i];
      else if (a.startsWith('--output-document=')) output = a.slice(18);
      else if (a === '-T' || a === '--timeout') timeoutMs = seconds(ctx.args[++i]);
      else if (a.startsWith('--timeout=')) timeoutMs = seconds(a.slice(10));
      else if (a === '-U' || a === '--user-agent') userAgent = ctx.args[++i] ?? userAgent;
      else if (/^-[qSsO]+/.test(a) && a.length > 1) {
        for (let k = 1; k < a.length; k++) {
          if (a[k] === 'q') quiet = true;
          else if (a[k] === 'S' || a[k] === 's') continue;
          else if (a[k] === 'O') {
            output = a.slice(k + 1) || ctx.args[++i];
            break;
          }
        }
      } else if (/^-T[0-9]/.test(a)) timeoutMs = seconds(a.slice(2));
      else if (a.startsWith('-')) {
        ctx.err(`wget: unrecognized option '${a}'\n`);
        return 1;
      } else target = a;
    }
    if (target === undefined) {
      ctx.err('BusyBox v1.36.1 (2023-05-18 22:34:17 UTC) multi-call binary.\n\nUsage: wget [-cqS] [--spider] [-O FILE] [-o LOGFILE] [--header STR]\n\t[--post-data STR | --post-file FILE] [-Y on/off]\n\t[-P DIR] [-U AGENT] [-T SEC] URL...\n');
      return 1;
    }
    const url = parseUrl(target);
    if (!url) {
      ctx.err(`wget: not an http or ftp url: ${target}\n`);
      return 1;
    }
    const lookup = tools.sockets.lookup(tools.view, url.host);
    if (lookup.kind !== 'addresses') {
      if (lookup.kind === 'no-server') ctx.shell.elapsedMs += RESOLVER_TIMEOUT_MS;
      ctx.err(`wget: bad address '${url.host}'\n`);
      return 1;
    }
    const address = firstAddress(lookup);
    if (address === undefined) {
      ctx.err(`wget: bad address '${url.host}'\n`);
      return 1;
    }
    if (!quiet) ctx.err(`Connecting to ${url.host}${url.port === 80 ? '' : `:${url.port}`} (${joinHostPort(address, url.port)})\n`);
    const connect = tools.sockets.connect(tools.view, address, url.port);
    if (connect.kind !== 'connected') {
      if (connect.kind === 'timeout') {
        if (timeoutMs !== undefined && timeoutMs < KERNEL_CONNECT_TIMEOUT_MS) {
          ctx.shell.elapsedMs += timeoutMs;
          ctx.err('wget: download timed out\n');
          return 1;
        }
        ctx.shell.elapsedMs += KERNEL_CONNECT_TIMEOUT_MS;
      }
      const why = connect.kind === 'refused' ? 'Connection refused' : connect.kind === 'unreachable' ? 'No route to host' : 'Connection timed out';
      ctx.err(`wget: can't connect to remote host (${address}): ${why}\n`);
      return 1;
    }
    const tls = url.scheme === 'https';
    if (tls) {
      // busybox's own TLS client does not check certificates: it says so, and goes on with a TLS server.
      ctx.err('wget: note: TLS certificate validation not implemented\n');
      if (!tools.sockets.speaksTls(connect.server)) {
        ctx.err('wget: error getting response: Connection reset by peer\n');
        return 1;
      }
    }
    const response = tools.sockets.serve(connect.server, { method: spider ? 'HEAD' : 'GET', path: url.path, userAgent }, tls);
    if (response.status >= 400) {
      ctx.err(`wget: server returned error: HTTP/1.1 ${response.status} ${STATUS_TEXT[response.status] ?? ''}`.trimEnd() + '\n');
      return 1;
    }
    if (spider) {
      if (!quiet) ctx.err('remote file exists\n');
      return 0;
    }
    const file = output ?? (url.path.replace(/[?#].*$/, '').split('/').pop() || 'index.html');
    if (file !== '-' && file !== '/dev/null') {
      ctx.err(`wget: can't open '${file}': Read-only file system\n`);
      return 1;
    }
    if (!quiet) ctx.err(file === '-' ? 'writing to stdout\n' : `saving to '${file}'\n`);
    if (file === '-') ctx.out(response.body);
    if (!quiet) {
      const size = Buffer.byteLength(response.body);
      ctx.err(`${file === '-' ? '-' : file.padEnd(20)}${' '.repeat(file === '-' ? 19 : 0)} 100% |********************************| ${String(size).padStart(4)}  0:00:00 ETA\n`);
      ctx.err(file === '-' ? 'written to stdout\n' : `'${file}' saved\n`);
    }
    return 0;
  };
}

// ---- nc (busybox) --------------------------------------------------------------------

function nc(tools: PodTools): CommandHandler {
  return (ctx) => {
    let zero = false;
    let verbose = false;
    let udp = false;
    let waitMs: number | undefined;
    const rest: string[] = [];
    for (let i = 0; i < ctx.args.length; i++) {
      const a = ctx.args[i];
      if (a === '-w') waitMs = seconds(ctx.args[++i]);
      else if (/^-[zvunw0-9]+$/.test(a)) {
        for (let k = 1; k < a.length; k++) {
          const f = a[k];
          if (f === 'z') zero = true;
          else if (f === 'v') verbose = true;
          else if (f === 'u') udp = true;
          else if (f === 'w') {
            waitMs = seconds(a.slice(k + 1) || ctx.args[++i]);
            break;
          }
        }
      } else if (a === '-l' || a.startsWith('-l') || a === '-p') {
        ctx.err('nc: kube-netsim runs no listening sockets in pods: every declared containerPort already answers\n');
        return 1;
      } else if (a.startsWith('-')) {
        ctx.err(`nc: unrecognized option '${a}'\n`);
        return 1;
      } else rest.push(a);
    }
    const [host, portText] = rest;
    const port = Number(portText);
    if (host === undefined || !Number.isInteger(port) || port < 1 || port > 65535) {
      ctx.err('BusyBox v1.36.1 (2023-05-18 22:34:17 UTC) multi-call binary.\n\nUsage: nc [OPTIONS] HOST PORT  - connect\nnc [OPTIONS] -l -p PORT [HOST] [PORT]  - listen\n');
      return 1;
    }
    const lookup: Lookup = tools.sockets.lookup(tools.view, host);
    if (lookup.kind !== 'addresses') {
      if (lookup.kind === 'no-server') ctx.shell.elapsedMs += RESOLVER_TIMEOUT_MS;
      ctx.err(`nc: bad address '${host}'\n`);
      return 1;
    }
    const address = firstAddress(lookup);
    if (address === undefined) {
      ctx.err(`nc: bad address '${host}'\n`);
      return 1;
    }
    const where = `${host} (${joinHostPort(address, port)})`;
    const connect = tools.sockets.connect(tools.view, address, port, udp ? 'udp' : 'tcp');
    // UDP has no handshake: silence looks like an open port; only an ICMP error says otherwise.
    const open = connect.kind === 'connected' || (udp && connect.kind === 'timeout');
    if (open) {
      if (verbose) ctx.err(`${where} open\n`);
      if (!zero && connect.kind === 'connected') {
        ctx.out(serveRaw(tools, connect.server, ctx));
      }
      return 0;
    }
    if (connect.kind === 'timeout') ctx.shell.elapsedMs += waitMs !== undefined && waitMs < KERNEL_CONNECT_TIMEOUT_MS ? waitMs : KERNEL_CONNECT_TIMEOUT_MS;
    const why = connect.kind === 'refused' ? 'Connection refused' : connect.kind === 'unreachable' ? 'No route to host' : 'Connection timed out';
    ctx.err(`nc: ${where}: ${why}\n`);
    return 1;
  };
}

/** nc without -z: what was piped in goes to the server; an HTTP request gets the HTTP answer. */
function serveRaw(tools: PodTools, server: Server, ctx: CommandContext): string {
  const m = /^([A-Z]+) (\S+) HTTP\/1\.[01]\r?\n/.exec(ctx.stdin);
  if (!m) return '';
  const agent = /^user-agent: *(.*?)\r?$/im.exec(ctx.stdin)?.[1] ?? '-';
  const response = tools.sockets.serve(server, { method: m[1], path: m[2], userAgent: agent });
  return [`HTTP/1.1 ${response.status} ${STATUS_TEXT[response.status] ?? ''}`.trimEnd(), ...response.headers.map(([k, v]) => `${k}: ${v}`), '', m[1] === 'HEAD' ? '' : response.body].join('\r\n');
}

export function httpClientCommands(tools: PodTools): [string, CommandHandler][] {
  return [
    ['curl', curl(tools)],
    ['wget', wget(tools)],
    ['nc', nc(tools)],
  ];
}
