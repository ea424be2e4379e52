import { formatViewState, parseViewState } from './url-state';

describe('the URL of a trace', () => {
  it('holds the request and the position, and reads back the same', () => {
    const state = { request: { from: 'pod/default/web-1', to: 'web:80' }, outcome: 2, step: 17 };
    const search = formatViewState(state);
    expect(search).toBe('?from=pod%2Fdefault%2Fweb-1&to=web%3A80&outcome=2&step=17');
    expect(parseViewState(search)).toEqual(state);
  });

  it('writes an outside client as external:ADDRESS and keeps a protocol other than TCP', () => {
    const state = { request: { from: { external: '203.0.113.7' }, to: '10.96.0.10:53', protocol: 'udp' as const }, outcome: 0, step: 0 };
    expect(formatViewState(state)).toBe('?from=external%3A203.0.113.7&to=10.96.0.10%3A53&protocol=udp');
    expect(parseViewState(formatViewState(state))).toEqual(state);
  });

  it('ignores what it cannot read: no request without from and to, a bad position is 0, an unknown protocol dropped', () => {
    expect(parseViewState('?from=pod/a/b')).toEqual({ request: null, outcome: 0, step: 0 });
    expect(parseViewState('?from=node/n&to=web:80&protocol=icmp&outcome=-1&step=x')).toEqual({ request: { from: 'node/n', to: 'web:80' }, outcome: 0, step: 0 });
  });
});
