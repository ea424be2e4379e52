import { Controller, Get, Header, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiTextAnswer } from '../answer-docs';

/**
 * Health endpoints in the API server's style: `ok` as plain text, and with
 * `?verbose` the list of checks (`[+]ping ok`).
 */
@ApiTags('health')
@Controller()
export class HealthController {
  private respond(endpoint: string, verbose?: string): string {
    if (verbose === undefined) return 'ok';
    return `[+]ping ok\n${endpoint} check passed\n`;
  }

  @Get('healthz')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @ApiOperation({ summary: 'Overall health' })
  @ApiTextAnswer('`ok`; with `?verbose`, the checks')
  healthz(@Query('verbose') verbose?: string): string {
    return this.respond('healthz', verbose);
  }

  @Get('livez')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @ApiOperation({ summary: 'Liveness' })
  @ApiTextAnswer('`ok`; with `?verbose`, the checks')
  livez(@Query('verbose') verbose?: string): string {
    return this.respond('livez', verbose);
  }

  @Get('readyz')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @ApiOperation({ summary: 'Readiness' })
  @ApiTextAnswer('`ok`; with `?verbose`, the checks')
  readyz(@Query('verbose') verbose?: string): string {
    return this.respond('readyz', verbose);
  }
}
