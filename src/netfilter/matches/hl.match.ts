/**
 * `-m hl [!] --hl-eq N | --hl-lt N | --hl-gt N`: the IPv6 hop limit, as
 * `-m ttl` tests the IPv4 TTL (ip6t_hl; `! --hl-eq` is "not equal"; the
 * other two cannot be negated). The packet's `ttl` field holds it; a trace
 * that gives none is taken as 64 on arrival, 63 once forwarded. The match is
 * hop-count.ts's, shared with `-m ttl`.
 */
import { hopCountMatchModule } from './hop-count';

export const hlMatchModule = hopCountMatchModule({ name: 'hl', missingOption: "HL match: You must specify one of `--hl-eq', `--hl-lt', `--hl-gt'" });
