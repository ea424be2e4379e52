import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDefined, IsIn, IsInt, IsObject, IsOptional, Max, Min, ValidateNested } from 'class-validator';
import { PacketDto } from '../netfilter/dto';

/** `POST /netsim/v1/nodes/{node}/trace`: a packet through one node's tables, of one family. */
export class NodeTraceRequestDto {
  @ApiPropertyOptional({
    enum: ['ipv4', 'ipv6'],
    description: "Which of the node's tables: iptables (ipv4) or ip6tables (ipv6). Default: the family of the packet's destination. A packet address of the other family is refused (422).",
  })
  @IsOptional()
  @IsIn(['ipv4', 'ipv6'])
  family?: 'ipv4' | 'ipv6';

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
