/**
 * The OpenAPI description of the dataplane's answers: POST /netsim/v1/traffic
 * (summary and `detail=hops`) and the node views. Description only (nothing
 * is validated against them); each class implements the core's type (or,
 * for a union, `Describes` it), so the compiler keeps the two in step.
 */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { PathSummary, Rewrite, SummaryOutcome, TrafficAnswer } from '../../dataplane/answer-detail';
import type { Resolution } from '../../dataplane/names';
import type { InterfaceView } from '../../dataplane/network';
import type { Hop, TrafficDestination, TrafficResult } from '../../dataplane/traffic';
import type { Verdict } from '../../dataplane/verdict';
import type { ConntrackListEntry, TupleView } from '../../netfilter/conntrack';
import type { PacketView } from '../../netfilter/packet-view';
import type { CtState, Hook, Protocol, TableName, TraceStep } from '../../netfilter/types';
import { VerdictDto } from './diagnose.dto';

const RESULTS: TrafficResult[] = ['delivered', 'refused', 'rejected', 'dropped', 'no-route', 'nxdomain', 'external'];
const HOOKS: Hook[] = ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'];

/** Compiles only when every `T` is a `D`: a DTO that cannot `implements` a union still describes each of its members. */
type Describes<D, T extends D> = T;

type HopNat = NonNullable<Hop['nat']>;
type Encapsulation = NonNullable<Hop['encapsulation']>;
type OuterPacket = Encapsulation['outer'];

export class PacketViewDto implements PacketView {
  @ApiProperty({ enum: ['tcp', 'udp', 'sctp', 'icmp', 'icmpv6'] }) protocol!: Protocol;
  @ApiProperty({ example: '10.244.2.2' }) source!: string;
  @ApiProperty({ example: 40000 }) sourcePort!: number;
  @ApiProperty({ example: '10.244.1.2' }) destination!: string;
  @ApiProperty({ example: 8080 }) destinationPort!: number;
  @ApiProperty({ type: String, nullable: true, example: 'cni0' }) inInterface!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'flannel.1' }) outInterface!: string | null;
  @ApiProperty({ description: 'The packet mark (skb->mark).' }) mark!: number;
  @ApiProperty({ enum: ['NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED'] }) ctstate!: CtState;
  @ApiPropertyOptional({ example: 'SYN', description: 'TCP only: the flags set, comma-separated.' }) tcpFlags?: string;
  @ApiPropertyOptional({ example: 8, description: 'ICMP only: the type (8 echo-request, 0 echo-reply, 3 destination-unreachable, ...).' }) icmpType?: number;
  @ApiPropertyOptional({ example: 0, description: 'ICMP only: the code.' }) icmpCode?: number;
  @ApiPropertyOptional({ example: 7, description: 'ICMP queries only: the identifier (what conntrack keys the echo by, and NAT may change).' }) icmpId?: number;
  @ApiPropertyOptional({ example: 'udp 10.244.2.2:40000 > 10.96.0.10:53', description: "ICMP errors only: the offending packet's header the error carries." }) embedded?: string;
  @ApiPropertyOptional({ example: 63 }) ttl?: number;
}

export class TraceStepDto implements TraceStep {
  @ApiProperty({ enum: HOOKS }) hook!: Hook;
  @ApiProperty({ enum: ['raw', 'mangle', 'nat', 'filter', 'security', 'conntrack', 'routing'], description: '`conntrack` and `routing`: the kernel machinery between the tables.' })
  table!: TableName | 'conntrack' | 'routing';
  @ApiProperty({ type: String, nullable: true, example: 'KUBE-SVC-CDGGSHYLG3RE2FKL' }) chain!: string | null;
  @ApiProperty({ type: Number, nullable: true, description: '1-based position in the chain; null for a policy or a machinery step.' }) ruleNumber!: number | null;
  @ApiProperty({ type: String, nullable: true, description: 'The rule as iptables-save prints it.' }) rule!: string | null;
  @ApiProperty({ example: 'jump KUBE-SEP-UIQK3OSOSTRHRPBX', description: 'What it did: "jump X", "DNAT to 10.244.1.5:8080", "policy ACCEPT", ...' }) action!: string;
}

class EndpointsDto {
  @ApiProperty({ example: '10.244.2.2:40000' }) source!: string;
  @ApiProperty({ example: '10.107.249.131:80' }) destination!: string;
}

class HopNatDto implements HopNat {
  @ApiProperty({ type: String, nullable: true, example: '10.244.1.2:8080', description: 'The new destination (DNAT, or conntrack reversing an SNAT on a reply).' }) dnat!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'The new source (SNAT / MASQUERADE, or conntrack reversing a DNAT on a reply).' }) snat!: string | null;
  @ApiProperty() masquerade!: boolean;
  @ApiPropertyOptional({ type: EndpointsDto, description: 'The endpoints before this node rewrote them (conntrack tuple).' }) before?: EndpointsDto;
}

class OuterPacketDto implements OuterPacket {
  @ApiProperty({ enum: ['udp'] }) protocol!: 'udp';
  @ApiProperty({ example: '172.18.0.4' }) source!: string;
  @ApiProperty({ example: 54862 }) sourcePort!: number;
  @ApiProperty({ example: '172.18.0.3' }) destination!: string;
  @ApiProperty({ example: 8472 }) destinationPort!: number;
}

class EncapsulationDto implements Encapsulation {
  @ApiProperty({ enum: ['vxlan'] }) type!: 'vxlan';
  @ApiProperty({ example: 1 }) vni!: number;
  @ApiProperty({ example: 1450 }) mtu!: number;
  @ApiProperty({ type: OuterPacketDto }) outer!: OuterPacketDto;
}

export class HopDto implements Hop {
  @ApiProperty({ type: String, nullable: true, description: "The node; null for an outside client's own hop." }) node!: string | null;
  @ApiProperty({ example: 'kind-worker2: in cni0 > out flannel.1 (PREROUTING > FORWARD > POSTROUTING)' }) where!: string;
  @ApiProperty({ type: PacketViewDto, description: 'The packet as it leaves the hop.' }) packet!: PacketViewDto;
  @ApiProperty({ type: [TraceStepDto], description: 'The steps on this node: rules that matched, policies, conntrack and routing.' }) rules!: TraceStepDto[];
  @ApiProperty({ type: HopNatDto, nullable: true }) nat!: HopNatDto | null;
  @ApiProperty({ type: EncapsulationDto, nullable: true }) encapsulation!: EncapsulationDto | null;
  @ApiProperty({ type: Number, nullable: true, example: 63 }) ttl!: number | null;
}

export class RewriteDto implements Rewrite {
  @ApiProperty({ example: 'kind-worker2' }) node!: string;
  @ApiProperty({ enum: ['DNAT', 'SNAT', 'MASQUERADE', 'VXLAN'], description: 'DNAT: the destination changed; SNAT / MASQUERADE: the source; VXLAN: encapsulated for another node.' })
  type!: Rewrite['type'];
  @ApiProperty({ example: 'KUBE-SEP-UIQK3OSOSTRHRPBX', description: 'The chain whose rule did it, `conntrack` (a known connection, a reply), or `flannel.1`.' }) by!: string;
  @ApiProperty({ example: '10.107.249.131:80', description: 'IP:PORT before (VXLAN: the inner destination).' }) before!: string;
  @ApiProperty({ example: '10.244.1.2:8080', description: 'IP:PORT after (VXLAN: the other node’s VXLAN socket).' }) after!: string;
  @ApiPropertyOptional({ example: 'kind-worker', description: 'VXLAN: the node the outer packet goes to.' }) to?: string;
}

export class PathSummaryDto implements PathSummary {
  @ApiProperty({ type: [String], example: ['kind-worker2', 'kind-worker'], description: 'The nodes crossed, in order.' }) nodes!: string[];
  @ApiProperty({ type: [RewriteDto], description: 'Each address rewrite, in order.' }) rewrites!: RewriteDto[];
}

/** The verdict's schema is diagnose's VerdictDto (one class, one name in the document); it describes every Verdict. */
export type VerdictDescribed = Describes<VerdictDto, Verdict>;

export class TrafficDestinationDto implements TrafficDestination {
  @ApiProperty({ type: String, nullable: true, example: 'default/web-7b74c6d9d8-22l64' }) pod!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'kind-worker' }) node!: string | null;
  @ApiProperty({ example: '10.244.1.2' }) ip!: string;
  @ApiProperty({ example: 8080 }) port!: number;
}

class ResolvedServiceDto {
  @ApiProperty() namespace!: string;
  @ApiProperty() name!: string;
  @ApiProperty() headless!: boolean;
}

class ResolutionDto {
  @ApiProperty({ enum: ['addresses', 'nxdomain'] }) kind!: 'addresses' | 'nxdomain';
  @ApiProperty({ example: 'web', description: 'The name asked for.' }) name!: string;
  @ApiPropertyOptional({ example: 'web.default.svc.cluster.local', description: 'addresses: the name that answered.' }) fqdn?: string;
  @ApiPropertyOptional({ type: [String], example: ['10.107.249.131'] }) addresses?: string[];
  @ApiPropertyOptional({ type: ResolvedServiceDto }) service?: ResolvedServiceDto;
  @ApiPropertyOptional({ type: [String], description: 'nxdomain: every name of the search path tried.' }) tried?: string[];
  @ApiPropertyOptional({ type: [String], description: 'ExternalName CNAMEs followed.' }) cname?: string[];
}

export type ResolutionDescribed = Describes<ResolutionDto, Resolution>;

export class TrafficOutcomeDto implements SummaryOutcome {
  @ApiProperty({ example: 0.33333333348855376, description: 'Exact (enumerate), or the share of connections (sample).' }) probability!: number;
  @ApiProperty({ enum: RESULTS }) result!: TrafficResult;
  @ApiProperty({ type: VerdictDto, description: 'What the outcome means and why.' }) verdict!: Verdict;
  @ApiPropertyOptional({ example: 'rejected on kind-worker2 (icmp-port-unreachable)', description: 'Why, for anything but delivered.' }) reason?: string;
  @ApiProperty({ type: TrafficDestinationDto, nullable: true }) destination!: TrafficDestinationDto | null;
  @ApiProperty({ type: String, nullable: true, example: '10.244.2.2:40000', description: 'The source the destination sees.' }) seenSource!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, example: '10.107.249.131:80', description: 'The source the client sees the answer come from.' }) replySource?: string | null;
  @ApiPropertyOptional({ description: 'Sample mode: connections that took this outcome.' }) connections?: number;
  @ApiProperty({ type: PathSummaryDto, description: 'The request: nodes crossed and rewrites.' }) path!: PathSummaryDto;
  @ApiProperty({ type: PathSummaryDto, description: 'The reply, back along conntrack.' }) replyPath!: PathSummaryDto;
  @ApiPropertyOptional({ type: [HopDto], description: '`detail=hops` only: every hop of the request, with its rules.' }) hops?: HopDto[];
  @ApiPropertyOptional({ type: [HopDto], description: '`detail=hops` only: every hop of the reply.' }) reply?: HopDto[];
}

export class TrafficAnswerDto implements TrafficAnswer {
  @ApiProperty({ type: [TrafficOutcomeDto], description: 'Each distinct outcome (identical ones merged, probabilities added).' }) outcomes!: TrafficOutcomeDto[];
  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'number' }, example: { 'pod/default/web-7b74c6d9d8-22l64': 34 }, description: 'Sample mode: where the connections landed.' })
  samples?: Record<string, number>;
  @ApiPropertyOptional({ type: ResolutionDto, description: 'How a name in `to` resolved.' }) resolution?: Resolution;
}

class TupleViewDto implements TupleView {
  @ApiProperty() source!: string;
  @ApiProperty() sourcePort!: number;
  @ApiProperty() destination!: string;
  @ApiProperty() destinationPort!: number;
}

class ConntrackEntryDto implements ConntrackListEntry {
  @ApiProperty() id!: number;
  @ApiProperty({ enum: ['tcp', 'udp', 'sctp', 'icmp', 'icmpv6'] }) protocol!: Protocol;
  @ApiProperty({ description: 'Seconds left.' }) timeout!: number;
  @ApiProperty({ example: 'SYN_RECV' }) state!: string;
  @ApiProperty({ type: TupleViewDto }) original!: TupleViewDto;
  @ApiProperty({ type: TupleViewDto }) reply!: TupleViewDto;
  @ApiProperty({ type: [String], example: ['ASSURED'] }) flags!: string[];
  @ApiProperty() mark!: number;
  @ApiProperty() dnat!: boolean;
  @ApiProperty() snat!: boolean;
  @ApiProperty() masquerade!: boolean;
  @ApiProperty({ description: 'The line as `conntrack -L` prints it.' }) text!: string;
}

export class ConntrackAnswerDto {
  @ApiProperty({ example: 'kind-worker' }) node!: string;
  @ApiProperty({ type: [ConntrackEntryDto] }) items!: ConntrackEntryDto[];
}

export class RoutesAnswerDto {
  @ApiProperty({ example: 'kind-worker' }) node!: string;
  @ApiProperty({ enum: ['vxlan', 'host-gw'] }) overlay!: string;
  @ApiProperty({ type: [String], example: ['default via 172.18.0.1 dev eth0', '10.244.0.0/24 via 10.244.0.0 dev flannel.1 onlink'] }) routes!: string[];
}

class InterfaceViewDto implements InterfaceView {
  @ApiProperty() index!: number;
  @ApiProperty({ example: 'flannel.1' }) name!: string;
  @ApiProperty({ example: 1450 }) mtu!: number;
  @ApiProperty({ example: 'UP' }) state!: string;
  @ApiProperty({ type: [String], example: ['10.244.1.0/32'] }) addresses!: string[];
  @ApiProperty({ example: 'vxlan id 1 dstport 8472' }) kind!: string;
  @ApiProperty({ description: 'As `ip addr` prints it.' }) text!: string;
}

export class InterfacesAnswerDto {
  @ApiProperty({ example: 'kind-worker' }) node!: string;
  @ApiProperty({ type: [InterfaceViewDto] }) interfaces!: InterfaceViewDto[];
}
