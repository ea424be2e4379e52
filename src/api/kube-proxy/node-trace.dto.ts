import { ApiPropertyOptional, PickType } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { TraceRequestDto } from '../netfilter/dto';

/** `POST /netsim/v1/nodes/{node}/trace`: a packet through one node's tables, of one family (`packet`, `mode`, `seed` as for `POST /netsim/v1/trace`). */
export class NodeTraceRequestDto extends PickType(TraceRequestDto, ['packet', 'mode', 'seed'] as const) {
  @ApiPropertyOptional({
    enum: ['ipv4', 'ipv6'],
    description: "Which of the node's tables: iptables (ipv4) or ip6tables (ipv6). Default: the family of the packet's destination. A packet address of the other family is refused (422).",
  })
  @IsOptional()
  @IsIn(['ipv4', 'ipv6'])
  family?: 'ipv4' | 'ipv6';
}
