import 'reflect-metadata';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsString, Max, Min, ValidateNested } from 'class-validator';
import { statusOfDomainError } from './status/kubernetes-status';
import { createValidationPipe } from './validation';

class PortDto {
  @IsInt() @Min(1) @Max(65535) port!: number;
  @IsIn(['TCP', 'UDP', 'SCTP']) protocol!: string;
}

class SpecDto {
  @IsString() name!: string;
  @ValidateNested({ each: true }) @Type(() => PortDto) ports!: PortDto[];
}

async function failureOf(body: unknown) {
  try {
    await createValidationPipe().transform(body, { type: 'body', metatype: SpecDto });
  } catch (e) {
    return statusOfDomainError(e as never);
  }
  throw new Error('expected a validation failure');
}

describe('request validation', () => {
  it('turns nested failures into a 422 Invalid Status with Kubernetes field paths', async () => {
    const status = await failureOf({ name: 'web', ports: [{ port: 80, protocol: 'TCP' }, { port: 70000, protocol: 'ICMP' }] });
    expect(status).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Invalid', code: 422 });
    expect(status.details?.causes).toEqual([
      { field: 'ports[1].port', reason: 'FieldValueInvalid', message: 'ports[1].port must not be greater than 65535' },
      {
        field: 'ports[1].protocol',
        reason: 'FieldValueNotSupported',
        message: 'ports[1].protocol must be one of the following values: TCP, UDP, SCTP',
      },
    ]);
    expect(status.message).toContain('ports[1].port: ports[1].port must not be greater than 65535');
  });

  it('refuses unknown properties, naming them', async () => {
    const status = await failureOf({ name: 'web', ports: [], extra: 1 });
    expect(status.details?.causes).toEqual([
      { field: 'extra', reason: 'FieldValueForbidden', message: 'field extra is not allowed' },
    ]);
  });

  it('passes a valid body through, transformed to its class', async () => {
    const value = await createValidationPipe().transform(
      { name: 'web', ports: [{ port: 53, protocol: 'UDP' }] },
      { type: 'body', metatype: SpecDto },
    );
    expect(value).toBeInstanceOf(SpecDto);
    expect(value.ports[0]).toBeInstanceOf(PortDto);
  });
});
