import { statusOfClientError, statusOfFastifyError } from './http-errors';

describe('statusOfFastifyError', () => {
  it('names the route\'s body limit in the 413, as the API server does', () => {
    expect(statusOfFastifyError({ code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413, message: 'Request body is too large' }, 3145728)).toMatchObject({
      code: 413,
      reason: 'RequestEntityTooLarge',
      message: 'Request entity too large: limit is 3145728',
    });
  });

  it('answers an unknown media type with the API server\'s 415 text', () => {
    expect(statusOfFastifyError({ code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415, message: 'Unsupported Media Type' }, 1)).toMatchObject({
      code: 415,
      reason: 'UnsupportedMediaType',
      message: 'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf',
    });
  });

  it('keeps any other client error\'s code, and leaves errors that are not Fastify\'s alone', () => {
    expect(statusOfFastifyError({ code: 'FST_ERR_CTP_EMPTY_JSON_BODY', statusCode: 400, message: 'empty' }, 1)).toMatchObject({ code: 400, reason: 'BadRequest', message: 'empty' });
    expect(statusOfFastifyError(new Error('x'), 1)).toBeUndefined();
    expect(statusOfFastifyError({ code: 'FST_ERR_HANDLER_TIMEOUT', statusCode: 503, message: 'x' }, 1)).toBeUndefined();
  });
});

describe('statusOfClientError', () => {
  it('answers the parser\'s refusals as Statuses', () => {
    const error = (code: string, message = code) => Object.assign(new Error(message), { code });
    expect(statusOfClientError(error('HPE_HEADER_OVERFLOW'))).toMatchObject({ kind: 'Status', code: 431 });
    expect(statusOfClientError(error('ERR_HTTP_REQUEST_TIMEOUT'))).toMatchObject({ kind: 'Status', code: 408 });
    expect(statusOfClientError(error('HPE_INVALID_METHOD', 'Parse Error: Invalid method encountered'))).toMatchObject({
      code: 400,
      message: 'the request is not valid HTTP: Parse Error: Invalid method encountered',
    });
  });
});
