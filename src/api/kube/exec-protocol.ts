/**
 * Kubernetes' remote-command stream protocol over WebSocket (the
 * `channel.k8s.io` family): each binary message starts with its channel
 * byte; the error channel carries a `Status` at the end, whose exit code
 * kubectl exits with. `v5.channel.k8s.io` adds channel 255, the signal that
 * the other side closed one of its streams (kubectl closes stdin with it).
 */
export enum StreamChannel {
  Stdin = 0,
  Stdout = 1,
  Stderr = 2,
  Error = 3,
  Resize = 4,
  Close = 255,
}

/** The sub-protocols spoken, preferred first. */
export const STREAM_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;

/** The sub-protocol to answer a client's offer with; false when none is spoken (the upgrade then fails). */
export function negotiateStreamProtocol(offered: ReadonlySet<string>): string | false {
  return STREAM_PROTOCOLS.find((p) => offered.has(p)) ?? false;
}

export function frame(channel: StreamChannel, text: string): Buffer {
  const body = Buffer.from(text, 'utf8');
  const out = Buffer.allocUnsafe(body.length + 1);
  out[0] = channel;
  body.copy(out, 1);
  return out;
}

/**
 * The Status the kubelet writes on the error channel when the command ends
 * (remotecommand's `NonZeroExitCode` reason and `ExitCode` cause, with the
 * container runtime's wording of the failure).
 */
export function exitStatus(code: number, command: readonly string[]): Record<string, unknown> {
  if (code === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}
