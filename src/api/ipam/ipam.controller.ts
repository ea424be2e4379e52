import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AddressPools, IpamReport } from '../../ipam/address-pools';
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
  @ApiOkResponse({ description: 'One entry per range' })
  report(): IpamReport {
    return this.pools.report();
  }
}
