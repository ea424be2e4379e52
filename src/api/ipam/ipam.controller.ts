import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { AddressPools, IpamReport } from '../../ipam/address-pools';
import { ApiJsonAnswer, IPAM_SCHEMA } from '../answer-docs';
import { ADDRESS_POOLS } from '../tokens';

@ApiTags('netsim')
@Controller('netsim/v1/ipam')
export class IpamController {
  constructor(@Inject(ADDRESS_POOLS) private readonly pools: AddressPools) {}

  @Get()
  @ApiOperation({
    summary: 'Address pools: Service ClusterIPs, NodePorts, node pod CIDRs and each node’s pod IPs',
    description: 'Each range with its size, used and free counts, and its static band (KEP-3070 / KEP-3668).',
  })
  @ApiJsonAnswer(IPAM_SCHEMA, 'One entry per range, and one per node for its pod IPs')
  report(): IpamReport {
    return this.pools.report();
  }
}
