import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNumber, Max, Min } from 'class-validator';

export class AdvanceClockDto {
  /** How far to move simulated time, in seconds (fractions allowed; at most 30 days at once). */
  @ApiProperty({ example: 41, minimum: 0, maximum: 30 * 24 * 3600, description: 'How far to move simulated time, in seconds (fractions allowed; at most 30 days at once).' })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(30 * 24 * 3600)
  seconds!: number;
}

class PendingTimerDto {
  @ApiProperty({ example: '2026-01-01T00:00:10.000Z' }) at!: string;
  @ApiProperty({ example: 'kubelet kind-worker: renew lease' }) name!: string;
}

class FaultsDto {
  @ApiProperty({ description: 'Errors of ours caught so that the server kept running (0 unless kube-netsim has a bug).' }) count!: number;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) lastFault?: object;
}

/** The answer of GET /netsim/v1/clock and POST /netsim/v1/clock/advance (OpenAPI description). */
export class ClockViewDto {
  @ApiProperty({ example: '2026-01-01T00:00:41.000Z', description: 'The simulated time.' }) now!: string;
  @ApiProperty({ enum: ['running', 'manual'], description: '`running`: follows the wall clock; `manual` (CLOCK=manual): moves only when advanced.' }) mode!: string;
  @ApiProperty({ type: [PendingTimerDto], description: 'The next timers due, at most 50.' }) pendingTimers!: PendingTimerDto[];
  @ApiProperty({ type: FaultsDto }) faults!: FaultsDto;
}

/** The answer of the kubelet stop / start requests (OpenAPI description). */
export class KubeletStateDto {
  @ApiProperty({ example: 'kind-worker' }) node!: string;
  @ApiProperty({ enum: ['stopped', 'running'] }) kubelet!: string;
}
