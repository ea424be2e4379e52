import { DomainError } from '../../common/domain-error';
import { readDiagnoseQuery } from './diagnose-query';

function refusal(run: () => unknown): { message: string; field?: string; reason?: string } {
  try {
    run();
  } catch (e) {
    if (e instanceof DomainError) return { message: e.message, field: e.causes[0]?.field, reason: e.causes[0]?.reason };
    throw e;
  }
  throw new Error('not refused');
}

describe('the diagnose query', () => {
  it('reads from (pod, node, external/IP or its JSON form) and to', () => {
    expect(readDiagnoseQuery({ from: 'pod/default/db-0', to: 'web:80' })).toEqual({ from: 'pod/default/db-0', to: 'web:80' });
    expect(readDiagnoseQuery({ from: 'node/kind-worker', to: '10.96.0.10:53' })).toEqual({ from: 'node/kind-worker', to: '10.96.0.10:53' });
    expect(readDiagnoseQuery({ from: 'external/203.0.113.7', to: 'x:1' }).from).toEqual({ external: '203.0.113.7' });
    expect(readDiagnoseQuery({ from: '{"external":"203.0.113.7"}', to: 'x:1' }).from).toEqual({ external: '203.0.113.7' });
  });

  it('names the field of a missing or bad value', () => {
    expect(refusal(() => readDiagnoseQuery({ to: 'web:80' }))).toEqual({ message: 'from: Required value', field: 'from', reason: 'FieldValueRequired' });
    expect(refusal(() => readDiagnoseQuery({ from: 'pod/default/db-0', to: '' }))).toEqual({ message: 'to: Required value', field: 'to', reason: 'FieldValueRequired' });
    expect(refusal(() => readDiagnoseQuery({ from: ['node/a', 'node/b'], to: 'web:80' }))).toMatchObject({ field: 'from', reason: 'FieldValueInvalid' });
    expect(refusal(() => readDiagnoseQuery({ from: 'deployment/web', to: 'web:80' }))).toEqual({
      message: 'from: Invalid value: "deployment/web": must be pod/NAMESPACE/NAME, node/NAME, external/IP or {"external": "IP"}',
      field: 'from',
      reason: 'FieldValueInvalid',
    });
    expect(refusal(() => readDiagnoseQuery({ from: '{"external":"a","x":1}', to: 'web:80' }))).toMatchObject({ field: 'from' });
    expect(refusal(() => readDiagnoseQuery({ from: 'external/1.2.3', to: 'web:80' }))).toMatchObject({ field: 'from.external' });
    expect(refusal(() => readDiagnoseQuery({ from: 'pod/default/db-0', to: 'x'.repeat(513) }))).toMatchObject({ field: 'to', reason: 'FieldValueTooLong' });
  });
});
