import { spawnSync } from 'node:child_process';
import path from 'node:path';

/**
 * Start-up configuration errors, seen as a user sees them: the real
 * entry point run as a process, which must exit non-zero with a message
 * naming the variable, before it listens on any port.
 */
const root = path.resolve(__dirname, '..');

function start(env: Record<string, string>) {
  return spawnSync(process.execPath, ['-r', path.join(root, 'bench/register.js'), path.join(root, 'src/main.ts')], {
    cwd: root,
    env: { ...process.env, PORT: '0', DATA_DIR: 'none', ...env },
    encoding: 'utf8',
    timeout: 60000,
  });
}

describe('start-up configuration (e2e)', () => {
  it.each([
    ['SERVICE_CLUSTER_IP_RANGE', '10.96.0.0/8', 'must be in canonical form ("10.0.0.0/8")'],
    [
      'SERVICE_CLUSTER_IP_RANGE',
      '10.0.0.0/8',
      'specified --service-cluster-ip-range is too large; for 32-bit addresses, the mask must be >= 12',
    ],
    ['SERVICE_CLUSTER_IP_RANGE', 'banana', 'SERVICE_CLUSTER_IP_RANGE="banana"'],
    ['SERVICE_CLUSTER_IP_RANGE', '10.96.0.0/30', 'the service cluster IP range must be at least 8 IP addresses'],
    ['SERVICE_NODE_PORT_RANGE', '32767-30000', 'SERVICE_NODE_PORT_RANGE="32767-30000"'],
    ['CLUSTER_CIDR', '10.244.0.1/16', 'CLUSTER_CIDR="10.244.0.1/16"'],
    ['NODE_CIDR_MASK_SIZE', '8', 'NODE_CIDR_MASK_SIZE="8"'],
    ['NODE_CIDR_MASK_SIZE', 'twenty', 'NODE_CIDR_MASK_SIZE="twenty": must be a whole number'],
    ['PORT', '99999', 'PORT="99999": must be between 0 and 65535, inclusive'],
    ['BIND_ADDRESS', 'localhost', 'BIND_ADDRESS="localhost": must be an IP address (0.0.0.0 or :: for every interface; unset for loopback only)'],
    ['BIND_ADDRESS', '192.0.2.55', 'BIND_ADDRESS="192.0.2.55": listen EADDRNOTAVAIL: address not available 192.0.2.55'], // TEST-NET-1: on no host
    ['TOKEN_AUTH_FILE', 'fixtures/auth/no-such-file.csv', "TOKEN_AUTH_FILE=\"fixtures/auth/no-such-file.csv\": ENOENT: no such file or directory, open 'fixtures/auth/no-such-file.csv'"],
    [
      'TOKEN_AUTH_FILE',
      'fixtures/auth/two-columns.csv',
      "TOKEN_AUTH_FILE=\"fixtures/auth/two-columns.csv\": token file 'fixtures/auth/two-columns.csv' must have at least 3 columns (token, user name, user uid), found 2",
    ],
    ['TLS_CERT_FILE', 'cert.pem', 'TLS_CERT_FILE="cert.pem": needs TLS_PRIVATE_KEY_FILE as well: a certificate and its key come together'],
  ])('%s=%s stops start-up with a message naming it', (variable, value, expected) => {
    const run = start({ [variable]: value });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`kube-netsim: invalid configuration: ${variable}=`);
    expect(run.stderr).toContain(expected);
  });
});
