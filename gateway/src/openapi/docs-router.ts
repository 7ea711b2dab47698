import { dirname } from 'node:path';
import express, { Router } from 'express';
import { openApiDocument } from './openapi-document';

const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Coinstile API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>`;

// An external script, not an inline one, so the page runs under helmet's default Content-Security-Policy.
const INIT_JS = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true });`;

/**
 * `/openapi.json` and `/docs`: Swagger UI served from the `swagger-ui-dist` npm package (no CDN, so an
 * offline self-hosted install can browse its API).
 */
export function docsRouter(publicUrl: string): Router {
  const router = Router();
  const document = JSON.stringify(openApiDocument(publicUrl));
  const assets = dirname(require.resolve('swagger-ui-dist/package.json'));
  router.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(document);
  });
  router.get('/docs', (_req, res) => {
    res.type('text/html').send(DOCS_HTML);
  });
  router.get('/docs/init.js', (_req, res) => {
    res.type('text/javascript').send(INIT_JS);
  });
  router.use('/docs/assets', express.static(assets, { index: false, maxAge: '1h' }));
  return router;
}
