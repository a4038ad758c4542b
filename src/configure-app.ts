import * as fs from 'node:fs';
import * as path from 'node:path';
import { NestExpressApplication } from '@nestjs/platform-express';
import express, { NextFunction, Request, Response } from 'express';
import session from 'express-session';
import helmet from 'helmet';
import hbs from 'hbs';
import passport from 'passport';
import { DataSource } from 'typeorm';
import { createSessionStore } from './auth/session-store';
import { preparingPool } from './database/prepared-query';
import { SESSION_COOKIE, SESSION_MAX_AGE_MS, sessionCookieOptions, sessionSecret } from './auth/session-settings';
import { passwordChangeGate } from './auth/password-change-gate';
import { APP_CONFIG, AppConfig } from './config/app-config';
import { csrfTokenFor } from './common/csrf';
import { PROJECT_ROOT } from './config/paths';
import { offerFlash, storeFlashBeforeRedirect } from './common/flash';
import { HttpExceptionFilter } from './common/http-exception.filter';
import { refuseDeepJson, refuseUnreadableBody } from './common/request-parsing';
import { PortalValidationPipe } from './common/validation';
import { setupOpenApi } from './api/openapi';
import { PIPELINE_REDIS_URL } from './pipeline-runs/pipeline.tokens';
import { SessionIoAdapter } from './pipeline-runs/session-io.adapter';
import { viewHelpers } from './common/view-helpers';
import { QueueBoardService } from './admin/queue-board.service';
import { requestIdMiddleware, requestLoggingMiddleware } from './logging/request-id';
import type { Logger as PinoLogger } from 'pino';


let helpersRegistered = false;

/** Everything an app needs besides its modules; used by main.ts and by the end-to-end tests alike. */
/** The route processing services post a remote run's events to (src/remote-pipelines/). */
const REMOTE_EVENTS_PATH = /^\/api\/remote\/runs\/[^/]+\/events\/?$/;

export function configureApp(app: NestExpressApplication, options: { requestLogger?: PinoLogger } = {}): NestExpressApplication {
  const config = app.get<AppConfig>(APP_CONFIG);
  const dataSource = app.get(DataSource);

  // First, so every later line (and the error page) can name the request: X-Request-Id in and out.
  app.use(requestIdMiddleware);
  if (options.requestLogger) app.use(requestLoggingMiddleware(options.requestLogger));
  // X-Forwarded-For only from the proxies TRUST_PROXY names (loopback by default): req.ip feeds the per-address limits.
  app.set('trust proxy', config.trustProxy);
  app.disable('x-powered-by');
  app.use(
    helmet({
      contentSecurityPolicy: {
        // Schools often serve over plain HTTP on a LAN: do not force https sub-requests.
        directives: { upgradeInsecureRequests: null, imgSrc: ["'self'", 'data:', 'blob:'] },
      },
    }),
  );

  if (!helpersRegistered) {
    for (const [name, helper] of Object.entries(viewHelpers)) hbs.registerHelper(name, helper);
    // hbs.registerPartials reads the folder asynchronously, so a first request could miss a partial: read it now.
    const partials = path.join(PROJECT_ROOT, 'views', 'partials');
    for (const file of fs.readdirSync(partials).filter((name) => name.endsWith('.hbs'))) {
      // Registered compiled: a partial registered as text is compiled again on every page that uses it.
      hbs.handlebars.registerPartial(path.basename(file, '.hbs'), hbs.handlebars.compile(fs.readFileSync(path.join(partials, file), 'utf8')));
    }
    helpersRegistered = true;
  }
  app.setBaseViewsDir(path.join(PROJECT_ROOT, 'views'));
  app.setViewEngine('hbs');
  app.set('view options', { layout: 'layout' });
  // Express caches compiled views only when NODE_ENV=production; without the cache hbs reads and compiles the page
  // and its layout again on every request, a third of a page's time. The views ship with the code, so keep them.
  app.set('view cache', process.env.NODE_ENV !== 'development');
  // serve-static looks on disk for every request it is given, pages included: give it only the paths under
  // public/'s own entries (css/, js/, favicon.svg), so a page request costs no failed stat.
  const publicDir = path.join(PROJECT_ROOT, 'public');
  const publicEntries = new Set(fs.readdirSync(publicDir));
  const servePublic = express.static(publicDir, { index: false, maxAge: '1h' });
  app.use((req: Request, res: Response, next: NextFunction) => (publicEntries.has(req.path.split('/')[1]) ? servePublic(req, res, next) : next()));
  // The charting library is served from the app itself: classrooms may be offline.
  app.useStaticAssets(path.dirname(require.resolve('chart.js')), { prefix: '/vendor/chart.js/' });

  // The store reads the session on every request: its statements are prepared once per connection.
  const pool = preparingPool(dataSource);
  // A session is saved (a row, a cookie) only once something is put in it, and only logging in does that (Passport's
  // user, then the session's CSRF token and flash messages): saveUninitialized false keeps the empty session of an
  // anonymous or bearer request unsaved, resave false keeps an unchanged one from being written back, and rolling
  // moves a logged-in session's 14 days forward (through the store's throttled touch). Nothing may write to
  // req.session for anonymous requests; the login and sign-up forms use CsrfTokens.forForm instead.
  const sessionMiddleware = session({
      store: createSessionStore({ pool: pool as never, tableName: 'sessions', pruneSessionInterval: false }),
      secret: sessionSecret(config),
      name: SESSION_COOKIE,
      resave: false,
      saveUninitialized: false,
      rolling: true,
      cookie: { ...sessionCookieOptions(config), maxAge: SESSION_MAX_AGE_MS },
  });
  app.use(sessionMiddleware);
  app.use(storeFlashBeforeRedirect);
  app.use(passport.initialize());
  app.use(passport.session());
  app.useWebSocketAdapter(
    new SessionIoAdapter(
      app,
      app.get<string>(PIPELINE_REDIS_URL),
      [sessionMiddleware, passport.initialize(), passport.session()],
      config.allowedOrigins,
      config.webProcesses > 1,
    ),
  );
  app.use((req: any, res: any, next: () => void) => {
    res.locals.user = req.user;
    // Nav and teachers' controls: admins run the portal, so they see what teachers see.
    res.locals.isTeacher = req.user?.role === 'teacher' || req.user?.role === 'admin';
    res.locals.isAdmin = req.user?.role === 'admin';
    // Only a logged-in session holds a token: storing one in an anonymous session would save it as a row.
    res.locals.csrfToken = req.user ? csrfTokenFor(req) : '';
    res.locals.currentPath = req.path;
    if (req.method === 'GET') offerFlash(req, res);
    next();
  });
  // A user with a generated password reaches only the change-password page until they choose their own.
  app.use(passwordChangeGate);
  // Bull Board at /admin/queues: an express router, so it is mounted here, after the session and Passport.
  app.get(QueueBoardService).mount(app);
  // The body parsers Nest would add at init (being named jsonParser and urlencodedParser, these take their place),
  // here so that what they read is checked before any guard: JSON nested deeper than JSON_MAX_DEPTH is a 400 before
  // parsing (what reads it recurses), and so are NUL and repeated form fields (src/common/request-parsing.ts).
  // Processing services' events are read raw by their route: their signature covers the bytes as sent.
  // Each keeps its parser's name, by which Nest sees that the parsers are in place and adds none of its own.
  const unlessRemoteEvent = (parser: express.RequestHandler, name: string): express.RequestHandler => {
    const handler: express.RequestHandler = (req, res, next) => (REMOTE_EVENTS_PATH.test(req.path) ? next() : parser(req, res, next));
    return Object.defineProperty(handler, 'name', { value: name });
  };
  app.use(unlessRemoteEvent(express.json({ verify: refuseDeepJson }), 'jsonParser'));
  app.use(unlessRemoteEvent(express.urlencoded({ extended: true }), 'urlencodedParser'));
  app.use(unlessRemoteEvent(refuseUnreadableBody, 'refuseUnreadableBody'));

  app.useGlobalFilters(new HttpExceptionFilter());
  // Field messages on a 400; the API's DTOs (@StrictInput) also refuse unknown properties.
  app.useGlobalPipes(new PortalValidationPipe());
  setupOpenApi(app);
  return app;
}
