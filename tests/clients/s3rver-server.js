'use strict';
// Runs s3rver (the npm S3 server) for the end-to-end tests, over HTTP or HTTPS, on 127.0.0.1.
// Differences from `s3rver` on the command line, and why:
//  - every response carries x-amz-request-id and x-amz-id-2, as real S3 does (s3rver omits them), so the tests can
//    check that the tracer reports them;
//  - x-amz-copy-source is URL-decoded as S3 does: s3rver applies decodeURI, which leaves the %2F that the .NET SDK
//    sends between bucket and key; since that rewrites a signed header, signatures are checked for form only
//    (allowMismatchedSignatures);
//  - port 0 is allowed and the bound port is printed as one JSON line on stdout: {"ready":true,"port":N,"pid":P}.
// Usage: node s3rver-server.js --directory DIR [--port N] [--key KEY.pem --cert CERT.pem]
const crypto = require('crypto');
const http = require('http');
const https = require('https');
const fs = require('fs');
const S3rver = require('s3rver');

function parseArgs(argv) {
  const args = { port: 0, address: '127.0.0.1' };
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '');
    if (i + 1 >= argv.length) throw new Error(`missing value for ${argv[i]}`);
    args[name] = argv[i + 1];
  }
  if (!args.directory) throw new Error('--directory is required');
  return args;
}

const args = parseArgs(process.argv.slice(2));
fs.mkdirSync(args.directory, { recursive: true });
const app = new S3rver({ directory: args.directory, silent: true, allowMismatchedSignatures: true });
const handler = app.callback();
const onRequest = (req, res) => {
  res.setHeader('x-amz-request-id', crypto.randomBytes(8).toString('hex').toUpperCase());
  res.setHeader('x-amz-id-2', crypto.randomBytes(48).toString('base64'));
  const copySource = req.headers['x-amz-copy-source'];
  if (copySource) req.headers['x-amz-copy-source'] = copySource.replace(/%2F/gi, '/');
  handler(req, res);
};
const server = args.key && args.cert
  ? https.createServer({ key: fs.readFileSync(args.key), cert: fs.readFileSync(args.cert) }, onRequest)
  : http.createServer(onRequest);
server.listen(Number(args.port), args.address, () => {
  process.stdout.write(JSON.stringify({ ready: true, port: server.address().port, pid: process.pid }) + '\n');
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
