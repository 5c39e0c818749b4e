'use strict';
// The fixed S3 scenario, driven by the Node AWS SDK v3 (@aws-sdk/client-s3), one keep-alive connection.
// Timing, at the lowest layer Node exposes, to match what the tracer measures:
//   start = the first socket.write() of the request, or the moment the socket finished connecting (TCP connect, or
//           TLS secureConnect) if the request was queued on a socket still connecting;
//   end   = the last 'data' event of the socket before the operation completed (body fully consumed).
// process.hrtime.bigint() gives nanoseconds.
// Environment: S3S_ENDPOINT, S3S_BUCKET, S3S_TIMING_FILE, optional S3S_CA_FILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.
const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const https = require('https');
const { NodeHttpHandler } = require('@smithy/node-http-handler');
const {
  S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command,
  CopyObjectCommand, DeleteObjectCommand, DeleteObjectsCommand, CreateMultipartUploadCommand, UploadPartCommand,
  CompleteMultipartUploadCommand,
} = require('@aws-sdk/client-s3');

const endpoint = process.env.S3S_ENDPOINT;
const bucket = process.env.S3S_BUCKET;
const timingFile = process.env.S3S_TIMING_FILE;
if (!endpoint || !bucket || !timingFile) throw new Error('S3S_ENDPOINT, S3S_BUCKET and S3S_TIMING_FILE are required');
const caFile = process.env.S3S_CA_FILE;

const now = () => process.hrtime.bigint();
let operation = null;
let current = null;

function flush() {
  const c = current;
  current = null;
  if (!c) return;
  const { startNs, endNs, ...record } = c;
  record.duration_us = startNs !== null && endNs !== null ? Number(endNs - startNs) / 1000 : null;
  fs.appendFileSync(timingFile, JSON.stringify(record) + '\n');
}

// The request starts when its first bytes leave JavaScript: the stream handle's write methods are where node calls
// into libuv (plain) or TLSWrap (TLS, which runs SSL_write) — not socket.write, after which node may buffer or cork
// the headers while the SDK prepares the body.
const HANDLE_WRITES = ['writev', 'writeBuffer', 'writeLatin1String', 'writeUtf8String', 'writeAsciiString', 'writeUcs2String'];

function instrumentHandle(socket) {
  const handle = socket._handle;
  if (!handle || handle.__s3sTimed) return;
  handle.__s3sTimed = true;
  for (const name of HANDLE_WRITES) {
    const original = handle[name];
    if (typeof original !== 'function') continue;
    handle[name] = function timedHandleWrite(...args) {
      if (current && current.startNs === null) current.startNs = now();
      return original.apply(this, args);
    };
  }
}

function instrument(socket, readyEvent) {
  // As early as the handle exists: a TLS socket flushes the request queued during the handshake before it emits
  // 'secureConnect', so hooking only then would miss the first write.
  instrumentHandle(socket);
  socket.once('connect', () => instrumentHandle(socket));
  socket.once(readyEvent, () => { instrumentHandle(socket); if (current) current.new_connection = true; });
  // First in line: the http client's own 'data' listener parses the chunk and runs the SDK's callbacks before later
  // listeners, which would stamp the end after that work instead of at the read.
  socket.prependListener('data', () => { if (current && current.startNs !== null) current.endNs = now(); });
  return socket;
}

class TimedHttpAgent extends http.Agent {
  createConnection(options, callback) {
    return instrument(super.createConnection(options, callback), 'connect');
  }
}

class TimedHttpsAgent extends https.Agent {
  createConnection(options, callback) {
    return instrument(super.createConnection(options, callback), 'secureConnect');
  }
}

class TimedHandler extends NodeHttpHandler {
  async handle(request, options) {
    flush();
    const path = request.path || '/';
    const [b, ...rest] = path.replace(/^\//, '').split('/');
    const key = rest.length ? decodeURIComponent(rest.join('/')) : null;
    const partNumber = request.query && request.query.partNumber;
    const length = Object.entries(request.headers).find(([n]) => n.toLowerCase() === 'content-length');
    current = {
      client: 'node', pid: process.pid, operation, method: request.method,
      bucket: b ? decodeURIComponent(b) : null, key: key || null,
      part_number: partNumber ? Number(partNumber) : null,
      request_bytes: length ? Number(length[1]) : 0,
      start_unix_ns: String(BigInt(Date.now()) * 1000000n),
      startNs: null, endNs: null, new_connection: false,
      status: null, error_code: null, request_id: null, response_bytes: null,
    };
    const out = await super.handle(request, options);
    const { statusCode, headers } = out.response;
    current.status = statusCode;
    current.request_id = headers['x-amz-request-id'] || null;
    current.response_bytes = request.method === 'HEAD' || statusCode === 204 || statusCode === 304
      ? 0 : Number(headers['content-length'] ?? NaN);
    return out;
  }
}

const agentOptions = { keepAlive: true, maxSockets: 1 };
const s3 = new S3Client({
  endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  maxAttempts: 1,
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
  credentials: {
    accessKeyId: process.env.AWS_ACCESS_KEY_ID || 'S3RVER',
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY || 'S3RVER',
  },
  requestHandler: new TimedHandler({
    httpAgent: new TimedHttpAgent(agentOptions),
    httpsAgent: new TimedHttpsAgent({ ...agentOptions, ...(caFile ? { ca: fs.readFileSync(caFile) } : {}) }),
  }),
});
s3.middlewareStack.add((next, context) => async (args) => {
  operation = context.commandName.replace(/Command$/, '');
  return next(args);
}, { step: 'initialize', name: 's3slowerOperationName' });

async function send(command) {
  try {
    return await s3.send(command);
  } catch (err) {
    if (current) current.error_code = err.Code || err.name;
    throw err;
  }
}

async function main() {
  const small = Buffer.alloc(1040, 's3slower');
  const big = crypto.randomBytes(1024 * 1024);
  const parts = [crypto.randomBytes(512 * 1024), crypto.randomBytes(512 * 1024), crypto.randomBytes(64 * 1024)];

  await send(new CreateBucketCommand({ Bucket: bucket }));
  await send(new PutObjectCommand({ Bucket: bucket, Key: 'dir/small.txt', Body: small }));
  await send(new PutObjectCommand({ Bucket: bucket, Key: 'big.bin', Body: big }));
  let got = Buffer.from(await (await send(new GetObjectCommand({ Bucket: bucket, Key: 'big.bin' }))).Body.transformToByteArray());
  if (!got.equals(big)) throw new Error('GetObject big.bin returned other bytes');
  got = Buffer.from(await (await send(new GetObjectCommand({ Bucket: bucket, Key: 'dir/small.txt' }))).Body.transformToByteArray());
  if (!got.equals(small)) throw new Error('GetObject dir/small.txt returned other bytes');
  await send(new HeadObjectCommand({ Bucket: bucket, Key: 'dir/small.txt' }));
  await send(new ListObjectsV2Command({ Bucket: bucket }));
  await send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy.bin', CopySource: `${bucket}/big.bin` }));
  try {
    await send(new GetObjectCommand({ Bucket: bucket, Key: 'missing.txt' }));
    throw new Error('GetObject missing.txt succeeded');
  } catch (err) {
    if (err.name !== 'NoSuchKey') throw err;
  }
  const { UploadId } = await send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'mp.bin' }));
  const done = [];
  for (let i = 0; i < parts.length; i++) {
    const { ETag } = await send(new UploadPartCommand({ Bucket: bucket, Key: 'mp.bin', UploadId, PartNumber: i + 1, Body: parts[i] }));
    done.push({ PartNumber: i + 1, ETag });
  }
  await send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'mp.bin', UploadId, MultipartUpload: { Parts: done } }));
  await send(new DeleteObjectCommand({ Bucket: bucket, Key: 'copy.bin' }));
  await send(new DeleteObjectsCommand({
    Bucket: bucket, Delete: { Objects: ['dir/small.txt', 'big.bin', 'mp.bin'].map((Key) => ({ Key })) },
  }));
  flush();
  s3.destroy();
}

main().catch((err) => { console.error(err); process.exit(1); });
