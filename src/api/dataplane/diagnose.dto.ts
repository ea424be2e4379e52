import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CHECKS } from '../../dataplane/explain/diagnose';
import { NOTE_REASONS, REASONS } from '../../dataplane/verdict';

/** OpenAPI shapes of `GET /netsim/v1/diagnose`'s answer (documentation only: the core builds the answer). */

export class VerdictNoteDto {
  @ApiProperty({ enum: NOTE_REASONS, example: 'Masquerade' })
  reason!: string;

  @ApiProperty({ example: 'kube-proxy on kind-worker set the masquerade mark 0x4000 (KUBE-SVC-... -> KUBE-MARK-MASQ) because ...' })
  message!: string;
}

export class VerdictDto {
  @ApiProperty({ enum: REASONS, example: 'ReadinessProbeFailing', description: 'Machine-readable reason code (docs/troubleshooting.md)' })
  reason!: string;

  @ApiProperty({ enum: ['connected', 'connection-refused', 'timed-out', 'icmp-unreachable', 'name-not-resolved', 'left-cluster'], description: 'What the client itself sees' })
  client!: string;

  @ApiProperty({ example: "default/web's selector app=web matches no pod, so the Service has no endpoints: ..." })
  message!: string;

  @ApiProperty({ type: [VerdictNoteDto] })
  notes!: VerdictNoteDto[];
}

export class DiagnoseCheckDto {
  @ApiProperty({ enum: CHECKS.map((c) => c.name), example: 'readiness' })
  name!: string;

  @ApiProperty({ example: 'Readiness' })
  title!: string;

  @ApiProperty({ enum: ['pass', 'fail', 'skip'] })
  status!: string;

  @ApiProperty({ example: "none of default/web's 3 endpoints is ready: ..." })
  message!: string;

  @ApiPropertyOptional({ enum: REASONS, description: "A failed check's reason code, as a verdict's" })
  reason?: string;
}

export class DiagnosedOutcomeDto {
  @ApiProperty({ example: 1 })
  probability!: number;

  @ApiProperty({ enum: ['delivered', 'refused', 'rejected', 'dropped', 'no-route', 'nxdomain', 'external'] })
  result!: string;

  @ApiProperty({ nullable: true, type: String, example: 'default/web-7b74c6d9d8-22l64' })
  pod!: string | null;

  @ApiProperty({ nullable: true, type: String, example: 'kind-worker' })
  node!: string | null;

  @ApiProperty({ type: VerdictDto })
  verdict!: VerdictDto;
}

export class DiagnosisDto {
  @ApiProperty({ example: 'pod/default/db-0' })
  from!: string;

  @ApiProperty({ example: 'web:80' })
  to!: string;

  @ApiProperty({ enum: ['tcp', 'udp', 'sctp'] })
  protocol!: string;

  @ApiProperty({ description: 'No check failed' })
  ok!: boolean;

  @ApiProperty({ nullable: true, type: String, enum: CHECKS.map((c) => c.name), description: 'The first check that failed; the checks after it are skipped' })
  firstFailure!: string | null;

  @ApiProperty({ nullable: true, type: String, example: 'default/web', description: 'The Service the destination is, when it is one' })
  service!: string | null;

  @ApiProperty({ type: [DiagnoseCheckDto] })
  checks!: DiagnoseCheckDto[];

  @ApiProperty({ type: [DiagnosedOutcomeDto], description: 'The enumerated outcomes (nothing changed), with their verdicts' })
  outcomes!: DiagnosedOutcomeDto[];
}
