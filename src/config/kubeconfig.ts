/**
 * The kubeconfig for the local emulator, written at start-up to
 * `$DATA_DIR/kubeconfig` so that `kubectl --kubeconfig <path>` is one flag,
 * and the self-signed serving certificate beside it when there is one.
 * Start-up only, and one of the few files allowed to touch the host's file
 * system (see the ESLint rule in eslint.config.mjs and docs/security.md).
 */

import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The name of the cluster, user and context in the kubeconfig. */
export const KUBECONFIG_NAME = 'kube-netsim';

/**
 * A kubeconfig (YAML) for one server; with a token, its user sends it as a
 * bearer token; with a CA (PEM), kubectl checks the server's certificate against it.
 */
export function renderKubeconfig(server: string, token?: string, certificateAuthority?: string): string {
  // JSON strings are YAML strings: the token and URL are quoted whatever they hold.
  const user = token === undefined ? '  user: {}' : `  user:\n    token: ${JSON.stringify(token)}`;
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${KUBECONFIG_NAME}`,
    '  cluster:',
    `    server: ${JSON.stringify(server)}`,
    ...(certificateAuthority === undefined ? [] : [`    certificate-authority-data: ${Buffer.from(certificateAuthority).toString('base64')}`]),
    'users:',
    `- name: ${KUBECONFIG_NAME}`,
    user,
    'contexts:',
    `- name: ${KUBECONFIG_NAME}`,
    '  context:',
    `    cluster: ${KUBECONFIG_NAME}`,
    `    user: ${KUBECONFIG_NAME}`,
    '    namespace: default',
    `current-context: ${KUBECONFIG_NAME}`,
    'preferences: {}',
    '',
  ].join('\n');
}

/**
 * Writes the kubeconfig to `<dataDir>/kubeconfig`, readable by its owner only
 * (it may hold a token): the directory is created if needed, the file is
 * written beside it and renamed over the old one, so kubectl never reads half
 * a file. Answers the path written.
 */
export function writeKubeconfig(dataDir: string, text: string): string {
  return writeDataFile(dataDir, 'kubeconfig', text);
}

/** Writes the self-signed serving certificate (not its key) to `<dataDir>/apiserver.crt`, for `curl --cacert`. */
export function writeServingCertificate(dataDir: string, pem: string): string {
  return writeDataFile(dataDir, 'apiserver.crt', pem);
}

function writeDataFile(dataDir: string, name: string, text: string): string {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, name);
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
  return path;
}
