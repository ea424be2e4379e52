import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { acceptsGzip } from '../json-body';
import { statusBody } from '../status/kubernetes-status';
import { loadUiAssets, type UiAsset } from './ui-assets';

/** What `GET /` answers when dist/ui was not built. */
export const UI_NOT_BUILT = statusBody(404, 'NotFound', 'the browser UI is not built: run `npm run build` (or `npm start`, which builds it)');

function send(req: FastifyRequest, res: FastifyReply, asset: UiAsset): void {
  res.type(asset.type).header('Cache-Control', 'no-cache').header('Vary', 'Accept-Encoding');
  if (acceptsGzip(req.headers['accept-encoding'])) void res.header('Content-Encoding', 'gzip').send(asset.gzip);
  else void res.send(asset.body);
}

/**
 * The browser UI (docs/ui.md): `GET /` is its page, `GET /ui/FILE` its script
 * and style sheet, served from memory. Anything else under /ui/ is the API
 * server's 404 (`Cannot GET /ui/x`, as for any unknown path). `assets`: the
 * built files, read at start-up by default; null when the UI is not built.
 */
export function registerUiRoutes(fastify: FastifyInstance, assets = loadUiAssets()): void {
  const notFound = (res: FastifyReply, message?: string) =>
    void res.code(404).type('application/json').send(message ? statusBody(404, 'NotFound', message) : UI_NOT_BUILT);
  fastify.get('/', (req, res) => {
    const page = assets?.get('index.html');
    if (page) send(req, res, page);
    else notFound(res);
  });
  fastify.get<{ Params: { file: string } }>('/ui/:file', (req, res) => {
    if (!assets) return notFound(res);
    const asset = req.params.file === 'index.html' ? undefined : assets.get(req.params.file);
    if (asset) send(req, res, asset);
    else notFound(res, `Cannot GET ${req.url}`);
  });
}
