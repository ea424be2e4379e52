/**
 * The OpenAPI description of POST /netsim/v1/trace's answer. Description
 * only; the outcome class implements the core's view type, so the compiler
 * keeps the two in step.
 */
import { ApiProperty } from '@nestjs/swagger';
import type { Direction } from '../../netfilter/conntrack';
import type { TraceOutcomeView } from '../../netfilter/trace-text';
import type { CtState, Delivery, DropReason, Hook, RejectWith, TableName, TraceVerdict } from '../../netfilter/types';
import { PacketViewDto, TraceStepDto } from '../dataplane/answer.dto';

class TraceConntrackDto {
  @ApiProperty({ enum: ['NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED'], description: 'What `--ctstate` sees.' }) state!: CtState;
  @ApiProperty({ enum: ['original', 'reply'], nullable: true }) direction!: Direction | null;
  @ApiProperty({ type: String, nullable: true, example: 'tcp 203.0.113.2:40000 -> 172.30.0.42:80' }) original!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'tcp 10.180.0.2:80 -> 10.180.0.254:40000' }) reply!: string | null;
}

class RuleDependencyDto {
  @ApiProperty({ type: Number, nullable: true, example: 12, description: 'The line of the loaded text.' }) line!: number | null;
  @ApiProperty({ example: 'OUTPUT' }) hook!: Hook;
  @ApiProperty({ example: 'filter' }) table!: TableName;
  @ApiProperty({ example: 'OUTPUT' }) chain!: string;
  @ApiProperty({ example: 3 }) ruleNumber!: number;
  @ApiProperty({ example: '-A OUTPUT -m quota --quota 1048576 -j DROP', description: 'The rule as given.' }) rule!: string;
  @ApiProperty({ description: 'This outcome assumes the rule matches (true) or not (false).' }) matches!: boolean;
}

export class TraceOutcomeDto implements TraceOutcomeView {
  @ApiProperty({ example: 0.5, description: 'Exact in enumerate mode; the chosen path’s in sample mode. With `dependsOn`, conditional on those assumptions.' }) probability!: number;
  @ApiProperty({ enum: ['ACCEPT', 'DROP', 'REJECT', 'UNKNOWN'], description: 'UNKNOWN: the path stops at a kept rule whose target kube-netsim does not model.' }) verdict!: TraceVerdict;
  @ApiProperty({ type: String, nullable: true, example: 'icmp-port-unreachable' }) rejectWith!: RejectWith | null;
  @ApiProperty({ enum: ['local', 'forward'], nullable: true }) delivery!: Delivery | null;
  @ApiProperty({ type: String, nullable: true, example: 'no-route', description: 'Why it was dropped when no rule dropped it.' }) reason!: DropReason | null;
  @ApiProperty({ type: String, nullable: true, example: '10.180.0.2:80' }) dnat!: string | null;
  @ApiProperty({ type: String, nullable: true, example: '10.180.0.254:40000' }) snat!: string | null;
  @ApiProperty() masquerade!: boolean;
  @ApiProperty({ description: 'The kernel picks the NAT source port at random here; enumerate shows one choice.' }) snatPortRandom!: boolean;
  @ApiProperty({ type: String, nullable: true, example: 'cni0' }) outInterface!: string | null;
  @ApiProperty({ type: String, nullable: true, example: '10.180.0.2' }) nextHop!: string | null;
  @ApiProperty({ type: TraceConntrackDto }) conntrack!: TraceConntrackDto;
  @ApiProperty({ type: PacketViewDto, description: 'The packet as it leaves (or as it was when dropped).' }) packet!: PacketViewDto;
  @ApiProperty({ type: [TraceStepDto], description: 'Every step in order: hook, table, chain, rule number, rule text, action.' }) steps!: TraceStepDto[];
  @ApiProperty({
    type: [RuleDependencyDto],
    required: false,
    description: 'Only with `unsupported=keep`, on a path through kept rules kube-netsim does not model: each with the assumption this outcome makes.',
  })
  dependsOn?: RuleDependencyDto[];
}

class RejectAnswerDto {
  @ApiProperty({ type: () => [TraceOutcomeDto], description: 'The ICMP error traced from this host’s OUTPUT back towards the client.' }) outcomes!: TraceOutcomeDto[];
}

/** An outcome of the request; a REJECT with an ICMP error also traces that error. */
export class TraceRequestOutcomeDto extends TraceOutcomeDto {
  @ApiProperty({
    type: RejectAnswerDto,
    required: false,
    description: 'Only on a REJECT that sends an ICMP error: the error, RELATED to the refused packet’s connection, traced back towards the client.',
  })
  answer?: RejectAnswerDto;
}

export class TraceAnswerDto {
  @ApiProperty({ type: [TraceRequestOutcomeDto] }) outcomes!: TraceRequestOutcomeDto[];
}
