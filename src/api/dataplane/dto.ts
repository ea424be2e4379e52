import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min, ValidateBy, type ValidationOptions } from 'class-validator';
import { DomainError } from '../../common/domain-error';
import { parseTrafficSource } from '../../dataplane/traffic-source';
import { IsIcmpType } from '../netfilter/dto';

/** Why `value` is no traffic source (parseTrafficSource's words, without the field), or undefined. */
function sourceProblem(value: unknown): string | undefined {
  if (typeof value === 'string' && value.length > 512) return 'Too long: must have at most 512 bytes';
  try {
    parseTrafficSource(value);
    return undefined;
  } catch (e) {
    if (e instanceof DomainError) return e.message.replace(/^[^:]+: /, '');
    throw e;
  }
}

/** `pod/NAMESPACE/NAME`, `node/NAME`, `external/IP` or `{"external": "IP"}` (and nothing else in it). */
function IsTrafficSource(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isTrafficSource',
      validator: {
        validate: (value: unknown) => sourceProblem(value) === undefined,
        defaultMessage: (args) => sourceProblem(args?.value) ?? 'Invalid value',
      },
    },
    options,
  );
}

export class TrafficRequestDto {
  @ApiProperty({
    oneOf: [{ type: 'string', example: 'pod/default/db-0' }, { type: 'object', properties: { external: { type: 'string', example: '203.0.113.7' } }, required: ['external'] }],
    description: 'The sender: `pod/NAMESPACE/NAME`, `node/NAME` (a host process), or `external/IP` / `{"external": "IP"}` (a client outside the cluster).',
  })
  @IsTrafficSource()
  from!: string | { external: string };

  @ApiProperty({ example: 'web.default:80', description: 'IP:PORT, NAME:PORT (resolved as CoreDNS would), service/NAMESPACE/NAME:PORT or pod/NAMESPACE/NAME:PORT' })
  @IsString()
  @MaxLength(512)
  to!: string;

  @ApiPropertyOptional({ enum: ['tcp', 'udp', 'sctp', 'icmp'], default: 'tcp', description: '`icmp`: a ping (ICMPv6 echo to an IPv6 address); `to` is then a host without a port.' })
  @IsOptional()
  @IsIn(['tcp', 'udp', 'sctp', 'icmp'])
  protocol?: 'tcp' | 'udp' | 'sctp' | 'icmp';

  @ApiPropertyOptional({ oneOf: [{ type: 'integer' }, { type: 'string' }], example: 'echo-request', description: 'icmp only: the query, echo-request (default) or timestamp-request, by number or name.' })
  @IsOptional()
  @IsIcmpType()
  icmpType?: number | string;

  @ApiPropertyOptional({ example: 1, default: 1, description: "icmp only: the echo's id (sample mode: the first echo's; each next one takes the next id)." })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(65535)
  icmpId?: number;

  @ApiPropertyOptional({ example: 40000, default: 40000, description: "The client's source port (sample mode: the first connection's; each next one takes the next port)." })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(65535)
  sourcePort?: number;

  @ApiPropertyOptional({
    enum: ['ipv4', 'ipv6'],
    description:
      'Which address of a name (A or AAAA), a dual-stack Service (`service/NS/NAME:PORT`) or a pod (`pod/NS/NAME:PORT`) to connect to. Default: a name its A record (its AAAA when it has none), as glibc orders a ULA IPv6 address after an IPv4 one; a Service or pod its primary family. An `IP:PORT` speaks for itself.',
  })
  @IsOptional()
  @IsIn(['ipv4', 'ipv6'])
  family?: 'ipv4' | 'ipv6';

  @ApiPropertyOptional({ enum: ['enumerate', 'sample'], default: 'enumerate', description: '`enumerate`: every outcome with its exact probability, nothing changes; `sample`: `count` connections, kept (conntrack, recent lists, counters).' })
  @IsOptional()
  @IsIn(['enumerate', 'sample'])
  mode?: 'enumerate' | 'sample';

  @ApiPropertyOptional({ example: 100, default: 100, description: 'sample mode: connections to send' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10000)
  count?: number;

  @ApiPropertyOptional({ example: 7, description: "sample mode: seed of the random source (default: the cluster's own)" })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(0xffffffff)
  seed?: number;
}
