import { Controller, Get, Inject, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Diagnoser } from '../../dataplane/explain/diagnose';
import { readDiagnoseQuery } from '../../dataplane/explain/diagnose-query';
import { diagnosisText } from '../../dataplane/explain/diagnose-text';
import { TrafficSimulator } from '../../dataplane/traffic';
import { TRAFFIC_PROTOCOLS } from '../../dataplane/traffic-source';
import { ApiNegotiatedAnswer } from '../answer-docs';
import { choiceParam, negotiateFormat } from '../answer-format';
import { TRAFFIC } from '../tokens';
import { DiagnosisDto } from './diagnose.dto';

/** `GET /netsim/v1/diagnose`: "my Service does not route", checked in order. The work is in src/dataplane/explain. */
@ApiTags('dataplane')
@Controller('netsim/v1')
export class DiagnoseController {
  private readonly diagnoser: Diagnoser;

  constructor(@Inject(TRAFFIC) traffic: TrafficSimulator) {
    this.diagnoser = new Diagnoser(traffic);
  }

  @Get('diagnose')
  @ApiOperation({
    summary: 'Why does my Service not route? The checks an engineer runs, in order, stopping at the first failure',
    description:
      'Checks DNS, the Service port, the selector, the endpoints, their readiness, the targetPort, the nodes, the rules on the source node, the path and the reply, ' +
      'each `pass`, `fail` or `skip` with a message; the first failure stops the list. Sends the traffic in enumerate mode: nothing changes. ' +
      'JSON by default; an 80-column text list with `format=text` or `Accept: text/plain`.',
  })
  @ApiQuery({ name: 'from', required: true, example: 'pod/default/db-0', description: 'pod/NAMESPACE/NAME, node/NAME, or external/IP (an outside client)' })
  @ApiQuery({ name: 'to', required: true, example: 'web:80', description: 'IP:PORT, NAME:PORT, service/NAMESPACE/NAME:PORT or pod/NAMESPACE/NAME:PORT, as POST /netsim/v1/traffic takes it' })
  @ApiQuery({ name: 'protocol', required: false, enum: [...TRAFFIC_PROTOCOLS], description: 'default tcp' })
  @ApiNegotiatedAnswer(DiagnosisDto)
  diagnose(@Query() query: Record<string, unknown>, @Req() req: FastifyRequest, @Res() res: FastifyReply): void {
    // Checked before anything is sent.
    const format = negotiateFormat(single(query.format), req.headers.accept);
    const protocol = choiceParam('protocol', single(query.protocol), TRAFFIC_PROTOCOLS, 'tcp');
    const diagnosis = this.diagnoser.diagnose({ ...readDiagnoseQuery(query), protocol });
    if (format === 'text') res.type('text/plain; charset=utf-8').send(diagnosisText(diagnosis));
    else res.type('application/json; charset=utf-8').send(JSON.stringify(diagnosis));
  }
}

/** A query parameter given once, as its text; given twice, as the JSON of its values (refused as not one of the choices). */
function single(value: unknown): string | undefined {
  if (value === undefined || typeof value === 'string') return value;
  return JSON.stringify(value);
}
