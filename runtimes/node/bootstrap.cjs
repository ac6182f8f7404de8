'use strict';
/*
 * sluice's Node.js runtime for `sluice dev`: the loop a nodejs18.x-22.x
 * function runs in, speaking the Lambda Runtime API like every other worker
 * of the local cloud (AWS_LAMBDA_RUNTIME_API, /runtime/invocation/next, then
 * /response or /error; /runtime/init/error when the handler cannot be
 * loaded). It is started as `node bootstrap.cjs` in the function's code
 * folder (LAMBDA_TASK_ROOT) with _HANDLER set.
 *
 * The handler string is resolved as AWS's Node.js runtime interface client
 * resolves it: "dir/file.export.nested" is the module "dir/file" under the
 * task root, found as file.js (CommonJS, or an ES module when the nearest
 * package.json says "type": "module"), file.mjs or file.cjs, else a package
 * in node_modules; then the export path inside it. Handlers may be async
 * (return a promise) or take a callback (three parameters).
 *
 * Errors are posted in the Lambda error format, {errorType, errorMessage,
 * trace, stackTrace} (the Node runtime calls the stack "trace"; the Runtime
 * API's schema calls it "stackTrace"), with the type also in the
 * Lambda-Runtime-Function-Error-Type header. Load failures are
 * Runtime.ImportModuleError, Runtime.UserCodeSyntaxError,
 * Runtime.HandlerNotFound or Runtime.MalformedHandlerName, as on Lambda.
 *
 * Uses only Node's own modules: nothing to install. It speaks HTTP/1.1 over
 * one kept-alive socket itself rather than through the http module, whose
 * per-request objects and parser cost more than the rest of an invocation.
 */

const fs = require('fs');
const net = require('net');
const path = require('path');
const url = require('url');
const util = require('util');

const API_VERSION = '2018-06-01';
const ERROR_CONTENT_TYPE = 'application/vnd.aws.lambda.error+json';

/* ---- the Runtime API client ---- */

/*
 * AWS_LAMBDA_RUNTIME_API is "host:port", or in sluice "host:port/w/<id>":
 * everything after the first '/' is a path prefix of this worker.
 */
function runtimeEndpoint(value) {
  const slash = value.indexOf('/');
  const hostPort = slash < 0 ? value : value.slice(0, slash);
  const prefix = slash < 0 ? '' : value.slice(slash);
  const colon = hostPort.lastIndexOf(':');
  return {
    host: colon < 0 ? hostPort : hostPort.slice(0, colon),
    port: colon < 0 ? 80 : Number(hostPort.slice(colon + 1)),
    base: prefix + '/' + API_VERSION + '/runtime',
  };
}

/*
 * One request at a time on one socket: the runtime never has two in flight.
 * Answers are read by Content-Length (or chunked), as the Runtime API sends them.
 */
class RuntimeClient {
  constructor(value) {
    this.ep = runtimeEndpoint(value);
    this.sock = null;
    this.buf = Buffer.alloc(0);
    this.waiter = null;
  }

  connect() {
    return new Promise((resolve, reject) => {
      const sock = net.connect(this.ep.port, this.ep.host);
      sock.setNoDelay(true);
      sock.once('connect', () => resolve(sock));
      sock.once('error', reject);
      sock.on('data', (chunk) => {
        this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
        if (this.waiter) this.waiter();
      });
      sock.on('close', () => {
        if (this.sock === sock) this.sock = null;
        if (this.waiter) this.waiter(new Error('the Runtime API closed the connection'));
      });
    });
  }

  /* A whole response parsed from this.buf, or null while it is incomplete. */
  parse() {
    const end = this.buf.indexOf('\r\n\r\n');
    if (end < 0) return null;
    const lines = this.buf.toString('latin1', 0, end).split('\r\n');
    const headers = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    let pos = end + 4;
    let body;
    if ((headers['transfer-encoding'] || '').toLowerCase() === 'chunked') {
      const parts = [];
      for (;;) {
        const eol = this.buf.indexOf('\r\n', pos);
        if (eol < 0) return null;
        const size = parseInt(this.buf.toString('latin1', pos, eol), 16);
        if (this.buf.length < eol + 2 + size + 2) return null;
        parts.push(this.buf.subarray(eol + 2, eol + 2 + size));
        pos = eol + 2 + size + 2;
        if (size === 0) break;
      }
      body = Buffer.concat(parts);
    } else {
      const len = Number(headers['content-length'] || 0);
      if (this.buf.length < pos + len) return null;
      body = this.buf.subarray(pos, pos + len);
      pos += len;
    }
    this.buf = this.buf.subarray(pos);
    return { status: Number(lines[0].split(' ')[1]), headers, body };
  }

  async request(method, p, body, headers) {
    if (!this.sock) {
      this.sock = await this.connect();
      this.buf = Buffer.alloc(0);
    }
    const data = body === undefined ? Buffer.alloc(0) : Buffer.from(body);
    let head = method + ' ' + this.ep.base + p + ' HTTP/1.1\r\nHost: ' + this.ep.host + ':' +
      this.ep.port + '\r\nContent-Length: ' + data.length + '\r\n';
    for (const [k, v] of Object.entries(headers || {})) head += k + ': ' + v + '\r\n';
    this.sock.write(data.length ? Buffer.concat([Buffer.from(head + '\r\n', 'latin1'), data])
      : head + '\r\n');
    return new Promise((resolve, reject) => {
      const check = (err) => {
        const res = err ? null : this.parse();
        if (!err && !res) return;
        this.waiter = null;
        if (err) reject(err);
        else resolve(res);
      };
      this.waiter = check;
      check();
    });
  }

  async next() {
    for (;;) {
      const res = await this.request('GET', '/invocation/next');
      if (res.status === 200) return res;
      if (res.status >= 500) throw new Error('next: the Runtime API answered ' + res.status);
    }
  }

  async postResponse(id, body) {
    const res = await this.request('POST', '/invocation/' + encodeURIComponent(id) + '/response', body,
      { 'Content-Type': 'application/json' });
    if (res.status === 413) {
      /* Lambda turns a response past its cap into this error; so does the local pool. */
      return;
    }
  }

  async postError(p, err) {
    const doc = JSON.stringify(err);
    await this.request('POST', p, doc, {
      'Content-Type': ERROR_CONTENT_TYPE,
      'Lambda-Runtime-Function-Error-Type': err.errorType,
    });
  }
}

/* ---- errors in the Lambda format ---- */

function errorDocument(e, type) {
  let errorType = type;
  let errorMessage;
  let stack = [];
  if (e instanceof Error) {
    errorType = errorType || e.name || 'Error';
    errorMessage = e.message;
    stack = String(e.stack || '').split('\n');
  } else if (e && typeof e === 'object') {
    errorType = errorType || 'Error';
    try {
      errorMessage = JSON.stringify(e);
    } catch (_) {
      errorMessage = String(e);
    }
  } else {
    errorType = errorType || 'string';
    errorMessage = String(e);
  }
  return { errorType, errorMessage, trace: stack, stackTrace: stack };
}

/* An error of the runtime's own ("Runtime.HandlerNotFound"), with the cause's message. */
function runtimeError(type, message, cause) {
  const e = new Error(message);
  e.name = type;
  if (cause && cause.stack) e.stack = type + ': ' + message + '\n' + cause.stack;
  return e;
}

/* ---- loading the handler ---- */

function splitHandler(handler) {
  const base = path.basename(handler);
  const moduleRoot = handler.slice(0, handler.length - base.length);
  const dot = base.indexOf('.');
  if (!handler || dot <= 0 || dot === base.length - 1) {
    throw runtimeError('Runtime.MalformedHandlerName', "Bad handler '" + handler + "'");
  }
  return { moduleRoot, module: base.slice(0, dot), exportPath: base.slice(dot + 1) };
}

/* Is `file` an ES module? .mjs always, .js when the nearest package.json says so. */
function isEsModule(file) {
  if (file.endsWith('.mjs')) return true;
  if (!file.endsWith('.js')) return false;
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
      return pkg.type === 'module';
    } catch (e) {
      if (e.code !== 'ENOENT' && e.code !== 'ENOTDIR') return false;
    }
    if (dir === path.dirname(dir)) return false;
  }
}

function isFile(p) {
  try {
    return fs.statSync(p).isFile();
  } catch (_) {
    return false;
  }
}

async function loadModule(root, moduleRoot, name) {
  const base = path.resolve(root, moduleRoot, name);
  for (const ext of ['.js', '.mjs', '.cjs']) {
    const file = base + ext;
    if (!isFile(file)) continue;
    if (isEsModule(file)) return import(url.pathToFileURL(file).href);
    return require(file);
  }
  /* Not a file of the task root: a package, as require() finds it. */
  const resolved = require.resolve(name, { paths: [path.resolve(root, moduleRoot), root] });
  if (isEsModule(resolved)) return import(url.pathToFileURL(resolved).href);
  return require(resolved);
}

async function loadHandler(root, handler) {
  const parts = splitHandler(handler);
  let mod;
  try {
    mod = await loadModule(root, parts.moduleRoot, parts.module);
  } catch (e) {
    if (e instanceof SyntaxError) {
      throw runtimeError('Runtime.UserCodeSyntaxError', String(e), e);
    }
    if (e && (e.code === 'MODULE_NOT_FOUND' || e.code === 'ERR_MODULE_NOT_FOUND')) {
      throw runtimeError('Runtime.ImportModuleError', 'Error: ' + e.message, e);
    }
    throw e;
  }
  let fn = mod;
  for (const key of parts.exportPath.split('.')) {
    fn = fn == null ? undefined : fn[key];
  }
  /* An ES module imported for a CommonJS handler may hold it under default. */
  if (fn === undefined && mod && mod.default && typeof mod.default === 'object') {
    fn = mod.default;
    for (const key of parts.exportPath.split('.')) fn = fn == null ? undefined : fn[key];
  }
  if (fn === undefined) {
    throw runtimeError('Runtime.HandlerNotFound', handler + ' is undefined or not exported');
  }
  if (typeof fn !== 'function') {
    throw runtimeError('Runtime.HandlerNotFound', handler + ' is not a function');
  }
  return fn;
}

/* ---- the context object ---- */

function makeContext(headers) {
  const env = process.env;
  const deadline = Number(headers['lambda-runtime-deadline-ms']) || Date.now() + 3000;
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: headers['lambda-runtime-aws-request-id'],
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME || '/aws/lambda/' + env.AWS_LAMBDA_FUNCTION_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME || 'sluice',
    getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
  };
  if (headers['lambda-runtime-client-context']) {
    try {
      context.clientContext = JSON.parse(headers['lambda-runtime-client-context']);
    } catch (_) { /* left unset, as Lambda leaves a bad one */ }
  }
  if (headers['lambda-runtime-cognito-identity']) {
    try {
      context.identity = JSON.parse(headers['lambda-runtime-cognito-identity']);
    } catch (_) { /* idem */ }
  }
  return context;
}

/* ---- logs: "time\trequest id\tLEVEL\tmessage", as Lambda's Node runtime writes them ---- */

let currentRequestId;

function patchConsole() {
  const levels = { log: 'INFO', info: 'INFO', warn: 'WARN', error: 'ERROR', debug: 'DEBUG', trace: 'TRACE' };
  for (const [name, level] of Object.entries(levels)) {
    console[name] = (...args) => {
      const line = util.format(...args).replace(/\n/g, '\r');
      process.stdout.write(new Date().toISOString() + '\t' + (currentRequestId || 'undefined') +
        '\t' + level + '\t' + line + '\n');
    };
  }
}

/* ---- one invocation ---- */

/*
 * Call the handler and settle on its outcome: the promise it returns, or
 * the callback (or context.succeed/fail/done), whichever comes first.
 */
function invoke(handler, event, context) {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (err, result) => {
      if (settled) return;
      settled = true;
      resolve({ err, result });
    };
    const callback = (err, result) => finish(err === undefined ? null : err, result);
    context.done = callback;
    context.succeed = (result) => callback(null, result);
    context.fail = (err) => callback(err == null ? 'handled' : err);
    let ret;
    try {
      ret = handler(event, context, callback);
    } catch (e) {
      finish(e);
      return;
    }
    if (ret && typeof ret.then === 'function') {
      ret.then((result) => finish(null, result), (e) => finish(e === undefined ? new Error('undefined') : e));
    } else if (handler.length < 3) {
      finish(null, ret);
    }
  });
}

async function main() {
  const env = process.env;
  const client = new RuntimeClient(env.AWS_LAMBDA_RUNTIME_API || '127.0.0.1:9001');
  const root = env.LAMBDA_TASK_ROOT || process.cwd();
  let handler;

  patchConsole();
  try {
    handler = await loadHandler(root, env._HANDLER || '');
  } catch (e) {
    const doc = errorDocument(e, e && e.name && e.name.startsWith('Runtime.') ? e.name : undefined);
    process.stderr.write(JSON.stringify(Object.assign({ timestamp: new Date().toISOString(), level: 'ERROR',
      message: 'Uncaught Exception' }, doc)) + '\n');
    await client.postError('/init/error', doc).catch(() => {});
    process.exit(1);
  }
  process.on('uncaughtException', async (e) => {
    /* An error thrown outside the handler's promise ends the worker, as on Lambda. */
    const doc = errorDocument(e);
    if (currentRequestId) {
      await client.postError('/invocation/' + encodeURIComponent(currentRequestId) + '/error', doc).catch(() => {});
    }
    process.stderr.write(JSON.stringify(doc) + '\n');
    process.exit(129);
  });
  process.on('unhandledRejection', (reason) => {
    throw reason instanceof Error ? reason : new Error(String(reason));
  });
  for (;;) {
    const next = await client.next();
    const headers = next.headers;
    const id = headers['lambda-runtime-aws-request-id'];
    if (headers['lambda-runtime-trace-id']) env._X_AMZN_TRACE_ID = headers['lambda-runtime-trace-id'];
    else delete env._X_AMZN_TRACE_ID;
    currentRequestId = id;
    let event;
    try {
      event = JSON.parse(next.body.toString('utf8') || 'null');
    } catch (e) {
      await client.postError('/invocation/' + encodeURIComponent(id) + '/error',
        errorDocument(e, 'Runtime.UnmarshalError'));
      continue;
    }
    const { err, result } = await invoke(handler, event, makeContext(headers));
    const base = '/invocation/' + encodeURIComponent(id);
    if (err != null) {
      await client.postError(base + '/error', errorDocument(err));
    } else {
      let body;
      try {
        body = JSON.stringify(result === undefined ? null : result);
      } catch (e) {
        await client.postError(base + '/error', errorDocument(e, 'Runtime.MarshalError'));
        continue;
      }
      await client.postResponse(id, body);
    }
    currentRequestId = undefined;
  }
}

main().catch((e) => {
  process.stderr.write('sluice node runtime: ' + (e && e.stack ? e.stack : String(e)) + '\n');
  process.exit(1);
});
