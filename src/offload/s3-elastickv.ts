// What an S3 client needs to talk to an elastickv node's S3 adapter (`--s3-elastickv`). Its SigV4 verifier re-signs
// the request with every header it received, not the list the client signed, and Node's HTTP client always sends
// `Connection`, which the SDK never signs: the signature cannot match. And it reads a path-style bucket request
// with the SDK's trailing slash (`PUT /bucket/`) as an object with an empty key. So, for such an endpoint only:
// `Connection: keep-alive` is set explicitly and signed, and a bucket path loses its trailing slash before signing.
// (Checked by hand against elastickv d9a031d0: CreateBucket, PutObject and GetObject succeed with both; without
// them every request is SignatureDoesNotMatch or NoSuchBucket.)

import type { S3Client } from '@aws-sdk/client-s3';

interface Signer {
  sign(request: unknown, options?: Record<string, unknown>): Promise<unknown>;
  presign(request: unknown, options?: Record<string, unknown>): Promise<unknown>;
}

interface RequestLike {
  headers: Record<string, string>;
  path: string;
}

const SIGNED_EXTRA = new Set(['connection']);

/** Adapts a client built for an elastickv S3 endpoint (see the module comment). */
export function adaptForElastickv(client: S3Client): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      const req = args.request as RequestLike;
      req.headers['connection'] = 'keep-alive';
      // It re-signs Content-Length only when the body is not empty (Go's signer); Node sends `0` anyway.
      if (req.headers['content-length'] === '0') delete req.headers['content-length'];
      if (/^\/[^/]+\/$/.test(req.path)) req.path = req.path.slice(0, -1);
      return next(args);
    },
    // Last of the build step: after the SDK has set Content-Length, before the finalize step signs.
    { step: 'build', priority: 'low', name: 'elastickvS3Compat' },
  );
  const config = client.config as unknown as { signer: (authScheme?: unknown) => Promise<Signer> };
  const resolve = config.signer;
  config.signer = async (authScheme?: unknown): Promise<Signer> => {
    const inner = await resolve(authScheme);
    return {
      sign: (request, options) => inner.sign(request, { ...options, signableHeaders: SIGNED_EXTRA }),
      presign: (request, options) => inner.presign(request, options),
    };
  };
}
