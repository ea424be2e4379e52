import type { FastifyInstance } from 'fastify';
import { decodeKubernetesProtobuf, kubernetesProtoRoot } from './decode';

/** The media type client-go (and so kubectl) sends typed objects in. */
export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';

/**
 * Parses `application/vnd.kubernetes.protobuf` bodies into the JSON object
 * kubectl would have sent as `application/json`, so the handlers see one
 * shape; an error in the body is a 400 or 415 `Status`. Register after the
 * catch-all parser: Fastify prefers a parser registered by name. The schemas
 * are parsed here, once per process (about 0.2 s), not on the first request.
 * A PATCH body is left undecoded: protobuf is no patch type, and the handler
 * answers 415 naming the patch types, as the API server does.
 */
export function registerProtobufBodyParser(fastify: FastifyInstance): void {
  kubernetesProtoRoot();
  fastify.addContentTypeParser(PROTOBUF_MEDIA_TYPE, { parseAs: 'buffer' }, (req, body, done) => {
    if (req.method === 'PATCH') return done(null, undefined);
    try {
      done(null, decodeKubernetesProtobuf(body as Buffer));
    } catch (e) {
      done(e as Error, undefined);
    }
  });
}
