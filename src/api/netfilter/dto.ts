import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  ValidateIf,
  ValidateNested,
  type ValidationOptions,
} from 'class-validator';
import { tryParseIPv4 } from '../../common/ipv4';
import { tryParseIPv6 } from '../../ipam/ipv6';
import { icmpTypeByName } from '../../netfilter/matches/icmp.match';
import { icmpv6TypeByName } from '../../netfilter/matches/icmp6.match';

/** An address of either family: a dotted quad, or IPv6 text (`fd00::1`). */
function isIpText(value: string): boolean {
  return value.includes(':') ? tryParseIPv6(value) !== undefined : tryParseIPv4(value) !== undefined;
}

/** An IPv4 or IPv6 address, parsed as strictly as the rest of kube-netsim parses them. */
function IsIpAddress(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isIpAddress',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && isIpText(value),
        defaultMessage: () => '$property must be an IPv4 address (a.b.c.d) or an IPv6 address (fd00::1)',
      },
    },
    options,
  );
}

/** `a.b.c.d/n`, `a.b.c.d`, or (for routes) `default`. */
function IsAddressWithPrefix(allowDefault: boolean, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isAddressWithPrefix',
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'string') return false;
          if (allowDefault && value === 'default') return true;
          const slash = value.indexOf('/');
          const address = slash < 0 ? value : value.slice(0, slash);
          if (!isIpText(address)) return false;
          if (slash < 0) return true;
          const prefix = value.slice(slash + 1);
          return /^(0|[1-9][0-9]{0,2})$/.test(prefix) && Number(prefix) <= (address.includes(':') ? 128 : 32);
        },
        defaultMessage: () => `$property must be an IP address with a prefix length (a.b.c.d/n or fd00::1/64)${allowDefault ? ' or "default"' : ''}`,
      },
    },
    options,
  );
}

/** An ICMP type: 0-255, or a name iptables knows (`echo-request`, `port-unreachable`). */
export function IsIcmpType(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isIcmpType',
      validator: {
        validate: (value: unknown) =>
          (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 255) ||
          (typeof value === 'string' && (icmpTypeByName(value) !== undefined || icmpv6TypeByName(value) !== undefined)),
        defaultMessage: () => '$property must be an ICMP type: a number 0-255 or a name iptables or ip6tables knows (echo-request, echo-reply, port-unreachable, neighbour-solicitation, ...)',
      },
    },
    options,
  );
}

const INTERFACE_NAME = /^[^\s/:]{1,15}$/;
const INTERFACE_MESSAGE = { message: '$property must be an interface name (1-15 characters, no spaces, "/" or ":")' };

export class InterfaceDto {
  @ApiProperty({ example: 'eth0' })
  @IsString()
  @Matches(INTERFACE_NAME, INTERFACE_MESSAGE)
  name!: string;

  @ApiPropertyOptional({ example: ['192.168.0.2/24'], description: 'Addresses with their prefix length, host part kept.' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(256)
  @IsAddressWithPrefix(false, { each: true })
  addresses?: string[];

  @ApiPropertyOptional({ example: 1500, description: 'Bytes (default 1500, 65536 for lo): what TCPMSS --clamp-mss-to-pmtu clamps to, minus 40.' })
  @IsOptional()
  @IsInt()
  @Min(68)
  @Max(65536)
  mtu?: number;
}

export class RouteDto {
  @ApiProperty({ example: '10.244.1.0/24', description: 'a.b.c.d/n or "default"' })
  @IsAddressWithPrefix(true)
  destination!: string;

  @ApiPropertyOptional({ example: '192.168.0.3' })
  @IsOptional()
  @IsIpAddress()
  via?: string;

  @ApiPropertyOptional({ example: 'eth0' })
  @IsOptional()
  @IsString()
  @Matches(INTERFACE_NAME, INTERFACE_MESSAGE)
  interface?: string;

  @ApiPropertyOptional({ description: 'Preferred source address of packets this host sends along the route.' })
  @IsOptional()
  @IsIpAddress()
  src?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(0xffffffff)
  metric?: number;

  @ApiPropertyOptional({ enum: ['unicast', 'blackhole', 'unreachable', 'prohibit'] })
  @IsOptional()
  @IsIn(['unicast', 'blackhole', 'unreachable', 'prohibit'])
  type?: 'unicast' | 'blackhole' | 'unreachable' | 'prohibit';

  @ApiPropertyOptional({ description: 'Accept a gateway outside every connected subnet.' })
  @IsOptional()
  @IsBoolean()
  onlink?: boolean;
}

export class HostDto {
  @ApiProperty({ type: [InterfaceDto] })
  @IsArray()
  @ArrayMaxSize(1024)
  @ValidateNested({ each: true })
  @Type(() => InterfaceDto)
  interfaces!: InterfaceDto[];

  @ApiPropertyOptional({ type: [RouteDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10000)
  @ValidateNested({ each: true })
  @Type(() => RouteDto)
  routes?: RouteDto[];

  @ApiPropertyOptional({ description: 'net.ipv4.ip_forward (default true)' })
  @IsOptional()
  @IsBoolean()
  ipForward?: boolean;

  @ApiPropertyOptional({ description: 'net.ipv4.conf.all.route_localnet (default true, as kube-proxy sets it)' })
  @IsOptional()
  @IsBoolean()
  routeLocalnet?: boolean;
}

export const TCP_FLAG_NAMES = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG'] as const;

/** The local socket an arriving packet reaches (`-m socket`); at PREROUTING only. */
export class LocalSocketDto {
  @ApiPropertyOptional({ description: 'A listener bound to 0.0.0.0, rather than a connected socket or one bound to the destination address (default false).' })
  @IsOptional()
  @IsBoolean()
  wildcard?: boolean;

  @ApiPropertyOptional({ description: 'The socket has IP_TRANSPARENT, as a TPROXY proxy\'s (default false).' })
  @IsOptional()
  @IsBoolean()
  transparent?: boolean;
}

/** Who owns the local socket that sends a packet (`-m owner`); at OUTPUT only. */
export class SocketDto {
  @ApiPropertyOptional({ example: 1000, description: "The socket owner's uid (default 0)." })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(0xfffffffe)
  uid?: number;

  @ApiPropertyOptional({ example: 1000, description: "The socket owner's gid (default 0)." })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(0xfffffffe)
  gid?: number;

  @ApiPropertyOptional({ example: [27], description: 'Supplementary groups (`-m owner --suppl-groups`); default none.' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(65536)
  @IsInt({ each: true })
  @Min(0, { each: true })
  @Max(0xfffffffe, { each: true })
  groups?: number[];
}

export class PacketDto {
  @ApiProperty({ enum: ['PREROUTING', 'OUTPUT'], description: 'PREROUTING: arriving on inInterface; OUTPUT: sent by a local process.' })
  @IsIn(['PREROUTING', 'OUTPUT'])
  hook!: 'PREROUTING' | 'OUTPUT';

  @ApiPropertyOptional({ example: 'eth0', description: 'Required at PREROUTING.' })
  @IsOptional()
  @IsString()
  @Matches(INTERFACE_NAME, INTERFACE_MESSAGE)
  inInterface?: string;

  @ApiProperty({
    enum: ['tcp', 'udp', 'sctp', 'icmp', 'icmpv6', 'ipv6-icmp'],
    description: 'icmp is IPv4 only; icmpv6 (or ipv6-icmp, the name ip6tables prints) is IPv6 only. The answer names ICMPv6 icmpv6, as conntrack does.',
  })
  @IsIn(['tcp', 'udp', 'sctp', 'icmp', 'icmpv6', 'ipv6-icmp'])
  protocol!: 'tcp' | 'udp' | 'sctp' | 'icmp' | 'icmpv6' | 'ipv6-icmp';

  @ApiPropertyOptional({ example: '203.0.113.2', description: 'Required at PREROUTING; at OUTPUT the route lookup picks it when unset.' })
  @IsOptional()
  @IsIpAddress()
  source?: string;

  @ApiPropertyOptional({ example: 40000, description: 'Required for tcp, udp and sctp; an icmp packet has none.' })
  @ValidateIf((o: PacketDto) => o.protocol !== 'icmp' && o.protocol !== 'icmpv6' && o.protocol !== 'ipv6-icmp')
  @IsInt()
  @Min(1)
  @Max(65535)
  sourcePort?: number;

  @ApiProperty({ example: '1.2.3.4' })
  @IsIpAddress()
  destination!: string;

  @ApiPropertyOptional({ example: 80, description: 'Required for tcp, udp and sctp; an icmp packet has none.' })
  @ValidateIf((o: PacketDto) => o.protocol !== 'icmp' && o.protocol !== 'icmpv6' && o.protocol !== 'ipv6-icmp')
  @IsInt()
  @Min(1)
  @Max(65535)
  destinationPort?: number;

  @ApiPropertyOptional({ oneOf: [{ type: 'integer' }, { type: 'string' }], example: 'echo-request', description: 'icmp and icmpv6 only: the type, a number or a name iptables (icmp) or ip6tables (icmpv6) knows (default echo-request, 8 or 128).' })
  @IsOptional()
  @IsIcmpType()
  icmpType?: number | string;

  @ApiPropertyOptional({ example: 0, description: 'icmp and icmpv6 only: the code (default 0, or the one a type name fixes: port-unreachable is 3/3 in icmp, 1/4 in icmpv6).' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(255)
  icmpCode?: number;

  @ApiPropertyOptional({ example: 7, description: 'icmp and icmpv6 queries (echo, timestamp, node information, ...): the identifier (default 0).' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(65535)
  icmpId?: number;

  @ApiPropertyOptional({ description: 'The packet mark (skb->mark), default 0.' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(0xffffffff)
  mark?: number;

  @ApiPropertyOptional({ example: ['SYN'], description: 'TCP flags; default SYN for a new connection.' })
  @IsOptional()
  @IsArray()
  @IsIn(TCP_FLAG_NAMES, { each: true })
  tcpFlags?: (typeof TCP_FLAG_NAMES)[number][];

  @ApiPropertyOptional({ type: SocketDto, description: 'At OUTPUT: who owns the sending socket, for `-m owner` (default root: uid 0, gid 0).' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => SocketDto)
  socket?: SocketDto;

  @ApiPropertyOptional({ example: '0a:58:0a:b4:00:02', description: 'At PREROUTING: the Ethernet source of the frame, for `-m mac`; unset: no Ethernet header, which `-m mac` never matches.' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  sourceMac?: string;

  @ApiPropertyOptional({ type: LocalSocketDto, description: 'At PREROUTING: the local socket that takes the packet, for `-m socket` (default: none).' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => LocalSocketDto)
  localSocket?: LocalSocketDto;
}

/** What a trace and a save read the rules with: their family and the ipsets they name. */
class RulesetInputDto {
  @ApiPropertyOptional({
    enum: ['ipv4', 'ipv6'],
    description:
      'iptables (ipv4) or ip6tables (ipv6) rules. Default: the family of the first address in the rules, else of the packet\'s destination, else ipv4. ' +
      'A packet address of the other family is refused (422).',
  })
  @IsOptional()
  @IsIn(['ipv4', 'ipv6'])
  family?: 'ipv4' | 'ipv6';

  @ApiPropertyOptional({
    description:
      'The ipsets the rules name (`-m set`, `-j SET`), as `ipset save` prints them (`create NAME TYPE ...` and `add NAME ELEMENT ...` lines; ' +
      'hash:ip, hash:net, hash:ip,port, hash:net,port, hash:ip,port,ip, hash:ip,port,net, bitmap:port, bitmap:ip, list:set). Loaded before the rules.',
    example: 'create blocklist hash:net family inet hashsize 1024 maxelem 65536\nadd blocklist 203.0.113.0/24\n',
  })
  @IsOptional()
  @IsString()
  @MaxLength(100 * 1024 * 1024)
  ipsets?: string;
}

const RULES_DESCRIPTION = "iptables-save or iptables-restore text (or ip6tables')";

export class TraceRequestDto extends RulesetInputDto {
  @ApiPropertyOptional({ description: `${RULES_DESCRIPTION}. At least one of \`rules\` and \`nftables\` is given.` })
  @IsOptional()
  @IsString()
  @MaxLength(100 * 1024 * 1024)
  rules?: string;

  @ApiPropertyOptional({
    description:
      'The host\'s nftables ruleset: the `nft -f` transaction (`add table ip kube-proxy …` lines, as kube-proxy sends it) or what `nft list ruleset` prints. ' +
      'Its base chains run with the iptables tables of `rules` by priority at each hook, with one conntrack.',
    example: 'add table ip t\nadd chain ip t in { type filter hook input priority 0 ; }\nadd rule ip t in tcp dport 22 drop\n',
  })
  @IsOptional()
  @IsString()
  @MaxLength(100 * 1024 * 1024)
  nftables?: string;

  @ApiPropertyOptional({ type: HostDto, description: 'Default: eth0 192.168.0.2/24, lo 127.0.0.1/8, default route via 192.168.0.1.' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => HostDto)
  host?: HostDto;

  @ApiProperty({ type: PacketDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => PacketDto)
  packet!: PacketDto;

  @ApiPropertyOptional({ enum: ['enumerate', 'sample'], default: 'enumerate' })
  @IsOptional()
  @IsIn(['enumerate', 'sample'])
  mode?: 'enumerate' | 'sample';

  @ApiPropertyOptional({ description: 'Seed for sample mode (repeatable draws).' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(0xffffffff)
  seed?: number;
}

export class SaveRequestDto extends RulesetInputDto {
  @ApiProperty({ description: RULES_DESCRIPTION })
  @IsString()
  @MaxLength(100 * 1024 * 1024)
  rules!: string;

  @ApiPropertyOptional({ description: 'Print [packets:bytes] before each rule, as iptables-save -c.' })
  @IsOptional()
  @IsBoolean()
  counters?: boolean;
}

export class IpsetSaveRequestDto {
  @ApiProperty({ description: '`ipset save` / `ipset restore` text (create, add, del, flush, destroy lines).' })
  @IsString()
  @MaxLength(100 * 1024 * 1024)
  ipsets!: string;
}
