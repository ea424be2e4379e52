/**
 * `-m ttl [!] --ttl-eq N | --ttl-lt N | --ttl-gt N`: the IP TTL as the
 * packet has it at that hook (xt_ttl; `! --ttl-eq` is "not equal"). A trace
 * that gives no TTL is taken as Linux's default of 64 as it arrives, 63 once
 * this host forwards it (the TTL drops before FORWARD). The match is
 * hop-count.ts's, shared with `-m hl`.
 */
import { hopCountMatchModule } from './hop-count';

// iptables' words, its missing closing quote included.
export const ttlMatchModule = hopCountMatchModule({ name: 'ttl', missingOption: "TTL match: You must specify one of `--ttl-eq', `--ttl-lt', `--ttl-gt" });
