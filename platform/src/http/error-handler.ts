import { type ErrorBody, isDomainError, toErrorBody } from '@coinstile/core';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { isDependencyUnavailable } from '../system/dependency-unavailable';
import { requestIdOf } from './request-id';

/** The shape body-parser (and other http-errors producers) throw for a bad request body. */
interface HttpClientError {
  status: number;
  type?: string;
  expose?: boolean;
}

function isHttpClientError(err: unknown): err is HttpClientError {
  if (typeof err !== 'object' || err === null) return false;
  const status = (err as { status?: unknown }).status;
  return typeof status === 'number' && status >= 400 && status < 500 && (err as { expose?: unknown }).expose === true;
}

/**
 * Express's router throws a `URIError` (status 400, but not marked `expose`) when a path parameter is not
 * valid percent-encoding (`/v1/checkouts/%ZZ`): the client's mistake, never a 500.
 */
function isUndecodablePathError(err: unknown): boolean {
  return err instanceof URIError && (err as { status?: unknown }).status === 400;
}

/** body-parser's error types, as public API codes and messages that reveal nothing about the parser. */
function bodyErrorBody(err: HttpClientError): { status: number; body: ErrorBody } {
  switch (err.type) {
    case 'entity.parse.failed':
      return { status: 400, body: { error: { code: 'invalid_json', message: 'The request body is not valid JSON' } } };
    case 'entity.too.large':
      return { status: 413, body: { error: { code: 'payload_too_large', message: 'The request body is too large' } } };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return { status: 415, body: { error: { code: 'unsupported_media_type', message: 'Unsupported request body encoding' } } };
    default:
      return { status: err.status, body: { error: { code: 'bad_request', message: 'The request could not be read' } } };
  }
}

/**
 * The API's last middleware: domain errors answer with their own status and `{error:{code,message,details}}`;
 * unreadable bodies get a 4xx; PostgreSQL or Redis being unreachable is a 503 with `Retry-After`; anything else is logged with the request id and answered with a bare
 * `internal_error` 500 that leaks no internals.
 */
export function jsonErrorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const requestId = requestIdOf(res);
    if (isDomainError(err)) {
      res.status(err.httpStatus).json(toErrorBody(err));
      return;
    }
    if (isHttpClientError(err)) {
      const { status, body } = bodyErrorBody(err);
      res.status(status).json(body);
      return;
    }
    if (isUndecodablePathError(err)) {
      const body: ErrorBody = { error: { code: 'invalid_path', message: 'The request path is not valid percent-encoded UTF-8' } };
      res.status(400).json(body);
      return;
    }
    if (isDependencyUnavailable(err)) {
      logger.warn({ err, requestId, method: req.method, path: req.path }, 'a backing service is unavailable');
      res.setHeader('Retry-After', '1');
      const body: ErrorBody = { error: { code: 'service_unavailable', message: 'A backing service is briefly unavailable; retry shortly' } };
      res.status(503).json(body);
      return;
    }
    logger.error({ err, requestId, method: req.method, path: req.path }, 'unhandled error');
    res.status(500).json(toErrorBody(err));
  };
}

/** For the end of the API router: an unknown route is a JSON 404, not express's HTML page. */
export function jsonNotFoundHandler(): RequestHandler {
  return (req, res) => {
    const body: ErrorBody = { error: { code: 'not_found', message: `No route for ${req.method} ${req.path}` } };
    res.status(404).json(body);
  };
}
