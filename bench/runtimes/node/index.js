// GET /node/health for bench/runtimes.sh.
exports.handler = async () => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: '{"status":"ok"}',
});
