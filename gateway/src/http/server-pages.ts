import { createHash } from 'node:crypto';
import express, { type Request, type RequestHandler, type Router } from 'express';
import { html, type SafeHtml } from '../pages/html';
import type { Locale } from '../pages/locale';

/**
 * What the gateway's signed-in, server-rendered apps (the operator dashboard, the store portal) share:
 * their assets served from memory under content-hashed names, their form parser, cookies, and the
 * document around each page.
 */

/** A stylesheet or script served from memory; its path changes with its content, so it is cached forever. */
export interface HashedAsset {
  readonly path: string;
  readonly body: string;
  readonly type: string;
}

export function hashedAsset(name: string, ext: string, body: string, type: string): HashedAsset {
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  return { path: `/assets/${name}.${hash}.${ext}`, body, type };
}

/** Serves `assets` on `router` (cached for a year: their names change with their content). */
export function serveHashedAssets(router: Router, assets: readonly HashedAsset[]): void {
  for (const asset of assets) {
    router.get(asset.path, (_req, res) => {
      res.set({ 'Content-Type': asset.type, 'Cache-Control': 'public, max-age=31536000, immutable' }).send(asset.body);
    });
  }
}

/** Small url-encoded forms only: an oversized or over-long form is a 413/400 before any handler runs. */
export function formBodyParser(): RequestHandler {
  return express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 50 });
}

/** The value of cookie `name` in the request, if sent. */
export function cookieValue(req: Request, name: string): string | undefined {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** A whole page: phone-ready viewport, no referrer to other sites, not indexed, the app's stylesheet and deferred script. */
export function pageDocument(page: { locale: Locale; title: string; stylesheetUrl: string; scriptUrl: string; header: SafeHtml; main: SafeHtml }): string {
  return html`<!doctype html>
<html lang="${page.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<meta name="robots" content="noindex, nofollow">
<title>${page.title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${page.stylesheetUrl}">
<script src="${page.scriptUrl}" defer></script>
</head>
<body>
<header class="top">${page.header}</header>
<main id="main">
${page.main}
</main>
</body>
</html>
`.value;
}
