import { IsNumber, Max, Min } from 'class-validator';

export class AdvanceClockDto {
  /** How far to move simulated time, in seconds (fractions allowed; at most 30 days at once). */
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(30 * 24 * 3600)
  seconds!: number;
}
