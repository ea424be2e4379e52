// A listener for the kernel agreement suite, run inside one network namespace:
//   node listener.js LOG_FILE NAMESPACE_LABEL PORT[,PORT...]
// It accepts TCP on 0.0.0.0 and on :: (IPv6) and receives UDP on every local IPv4 address and
// (not link-local) IPv6 address, for each port. A client sends an id ("p3-17\n" over TCP, "p3-17" over UDP); the
// listener appends one JSON line per id to LOG_FILE with where the packet
// arrived (local address and port: the kernel's DNAT) and where it came from
// (remote address: the kernel's SNAT / masquerade), then answers "ok".
// It prints "ready" once every socket is bound, and exits when its stdin
// closes (the suite that started it has ended, whatever the way).
'use strict';
const fs = require('node:fs');
const net = require('node:net');
const dgram = require('node:dgram');
const os = require('node:os');

const [logFile, label, portList] = process.argv.slice(2);
const ports = portList.split(',').filter(Boolean).map(Number);
const record = (fields) => fs.appendFileSync(logFile, JSON.stringify({ ns: label, ...fields }) + '\n');

const addresses = [];
for (const list of Object.values(os.networkInterfaces())) {
  for (const a of list ?? []) if (a.family === 'IPv4' || a.family === 4 || ((a.family === 'IPv6' || a.family === 6) && !a.address.startsWith('fe80:'))) addresses.push(a.address);
}

let pending = 0;
const bound = () => {
  if (--pending === 0) process.stdout.write('ready\n');
};

for (const port of ports) {
  pending++;
  const server = net.createServer((socket) => {
    let buffer = '';
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      buffer += chunk;
      const nl = buffer.indexOf('\n');
      if (nl < 0) return;
      record({
        proto: 'tcp',
        id: buffer.slice(0, nl),
        local: socket.localAddress,
        localPort: socket.localPort,
        remote: socket.remoteAddress,
        remotePort: socket.remotePort,
      });
      socket.end('ok\n');
    });
  });
  server.on('error', (e) => {
    process.stderr.write(`listener ${label}: tcp ${port}: ${e.message}\n`);
    bound();
  });
  server.listen({ port, host: '0.0.0.0', backlog: 2048 }, bound);
  // IPv6 too, on a socket of its own (ipv6Only: IPv4 connections keep their plain addresses above).
  pending++;
  const server6 = net.createServer(server.listeners('connection')[0]);
  server6.on('error', (e) => {
    process.stderr.write(`listener ${label}: tcp6 ${port}: ${e.message}\n`);
    bound();
  });
  server6.listen({ port, host: '::', ipv6Only: true, backlog: 2048 }, bound);
  for (const address of addresses) {
    pending++;
    const socket = dgram.createSocket(address.includes(':') ? { type: 'udp6', ipv6Only: true } : 'udp4');
    socket.on('error', (e) => {
      process.stderr.write(`listener ${label}: udp ${address}:${port}: ${e.message}\n`);
    });
    socket.on('message', (message, remote) => {
      record({ proto: 'udp', id: String(message), local: address, localPort: port, remote: remote.address, remotePort: remote.port });
      socket.send('ok', remote.port, remote.address);
    });
    socket.bind({ port, address }, bound);
  }
}
if (pending === 0) process.stdout.write('ready\n');
process.on('SIGTERM', () => process.exit(0));
// The suite holds our stdin open: when it goes away, however it ended, so do we.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
