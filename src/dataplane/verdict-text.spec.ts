import { verdictLines } from './verdict-text';

describe('verdictLines', () => {
  it('says the message first, then what the client sees and the reason, then the notes', () => {
    const lines = verdictLines(
      {
        reason: 'Delivered',
        client: 'connected',
        message: 'Delivered to pod default/web-0 on kind-worker through Service default/web.',
        notes: [{ reason: 'Masquerade', message: 'kube-proxy masqueraded the source.' }],
      },
      '   ',
    );
    expect(lines).toEqual([
      '   Delivered to pod default/web-0 on kind-worker through Service default/web.',
      '   (the client sees: connected; reason Delivered)',
      '   + Masquerade: kube-proxy masqueraded the source.',
    ]);
  });

  it('keeps every line within 80 columns, a long name cut rather than overflowing', () => {
    const long = `pod default/${'w'.repeat(100)}`;
    const lines = verdictLines({ reason: 'PortClosed', client: 'connection-refused', message: `${long} has no tcp port 81 open.`, notes: [{ reason: 'Hairpin', message: long }] }, '       ');
    expect(lines.every((l) => l.length <= 80)).toBe(true);
    expect(lines.join(' ').replace(/\s+/g, '')).toContain('w'.repeat(40));
    expect(lines.filter((l) => l.startsWith('       + '))).toHaveLength(1);
  });
});
