// A client for the kernel agreement suite, run inside one network namespace:
//   node client.js '{"protocol":"tcp","destination":"172.30.0.42","port":80,
//                    "source":"203.0.113.2","ids":["p1-0",...],"concurrency":64,
//                    "timeoutMs":1500}'
// For each id it opens one connection (TCP) or sends one datagram (UDP) and
// prints, as one JSON array, what the sending socket saw: "answered" (the
// listener answered), "refused" (RST or ICMP port unreachable: a REJECT),
// "unreachable" (another ICMP error), "timeout" (nothing: a DROP), and the
// local port it used. With "concurrency": 1 connections go one after another.
// An optional "localPorts" array (one per id) binds each socket to that local
// port, so a caller can tell the engine the exact source port of each one.
'use strict';
const net = require('node:net');
const dgram = require('node:dgram');

const spec = JSON.parse(process.argv[2]);

function classify(code) {
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET') return 'refused';
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EACCES' || code === 'EPERM') return 'unreachable';
  return code ?? 'error';
}

function tcp(id, bindPort) {
  return new Promise((resolve) => {
    let done = false;
    let localPort = null;
    const finish = (result) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ id, result, localPort });
    };
    const socket = net.connect({ host: spec.destination, port: spec.port, localAddress: spec.source, localPort: bindPort });
    const timer = setTimeout(() => finish(localPort === null ? 'timeout' : 'no-answer'), spec.timeoutMs);
    socket.on('connect', () => {
      localPort = socket.localPort;
      socket.write(id + '\n');
    });
    socket.on('data', () => finish('answered'));
    socket.on('error', (e) => finish(classify(e.code)));
    socket.on('close', () => finish(localPort === null ? 'closed' : 'no-answer'));
  });
}

function udp(id, bindPort) {
  return new Promise((resolve) => {
    let done = false;
    const socket = dgram.createSocket(net.isIPv6(spec.destination) ? 'udp6' : 'udp4');
    let localPort = null;
    const finish = (result) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.close();
      resolve({ id, result, localPort });
    };
    const timer = setTimeout(() => finish('timeout'), spec.timeoutMs);
    socket.on('error', (e) => finish(classify(e.code)));
    socket.on('message', () => finish('answered'));
    socket.bind({ address: spec.source, port: bindPort ?? 0 }, () => {
      localPort = socket.address().port;
      socket.connect(spec.port, spec.destination, (e) => {
        if (e) return finish(classify(e.code));
        socket.send(id);
      });
    });
  });
}

async function main() {
  const one = spec.protocol === 'udp' ? udp : tcp;
  const results = new Array(spec.ids.length);
  let next = 0;
  const worker = async () => {
    while (next < spec.ids.length) {
      const i = next++;
      results[i] = await one(spec.ids[i], spec.localPorts ? spec.localPorts[i] : undefined);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(spec.concurrency, spec.ids.length)) }, worker));
  process.stdout.write(JSON.stringify(results));
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack ? e.stack : e));
  process.exit(1);
});
