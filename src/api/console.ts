// /console: the operator console, a single-page app built into dist/console at build time (see
// console/). Hashed assets are cached for good; any other path under /console answers index.html,
// so deep links survive a reload. Every answer carries a strict Content-Security-Policy: the
// console runs only its own files and talks only to this origin.
import path from 'node:path';
import express, { type Response, type Router } from 'express';
import { problem, sendProblem } from './problem';

export const CONSOLE_DIR = path.resolve(__dirname, '../../dist/console');

export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

function secureHeaders(res: Response): void {
  res.setHeader('Content-Security-Policy', CONSOLE_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

export function mountConsole(router: Router): void {
  const dir = CONSOLE_DIR;
  router.use('/console', (_req, res, next) => {
    secureHeaders(res);
    next();
  });
  router.use('/console/assets', express.static(path.join(dir, 'assets'), { index: false, immutable: true, maxAge: '1y' }));
  router.use('/console/assets', (req, res) => {
    sendProblem(res, problem(404, 'not-found', `No console asset ${req.path}`));
  });
  router.use('/console', express.static(dir, { index: false, maxAge: '1h' }));
  router.get('/console{/*page}', (_req, res) => {
    res.sendFile(path.join(dir, 'index.html'), { headers: { 'Cache-Control': 'no-cache' } }, (err) => {
      if (err && !res.headersSent) sendProblem(res, problem(404, 'not-found', 'The console is not built: run `make build`'));
    });
  });
}
