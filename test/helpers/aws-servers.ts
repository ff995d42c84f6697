// The real DynamoDB- and SQS-compatible servers the export tests talk to (dynalite and moto's server mode,
// started by .ci/run through scripts/ci-services/dynalite.sh and moto-sqs.sh, which export EKV_TEST_DYNAMODB_ENDPOINT
// and EKV_TEST_SQS_ENDPOINT). Outside CI, tests that need one are skipped with a message when it is not set; under
// CI (CI set) they fail instead, so they cannot be skipped silently.
import type { TestContext } from 'node:test';

export interface AwsServer {
  readonly endpoint: string;
  /** Environment for a child process: test credentials through the standard chain. */
  env(): NodeJS.ProcessEnv;
  /** Client configuration for the test's own reads. */
  config(): { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } };
}

const ACCESS = 'ekvtestaccess';
const SECRET = 'ekvtestsecret0123456789';

function server(t: TestContext, variable: string, script: string): AwsServer | undefined {
  const endpoint = process.env[variable];
  if (endpoint === undefined) {
    if (process.env['CI'] !== undefined) throw new Error(`${variable} is not set under CI: .ci/run must start it (scripts/ci-services/${script})`);
    t.skip(`no server: run scripts/ci-services/${script} start DIR and source DIR/env (as .ci/run does)`);
    return undefined;
  }
  return {
    endpoint,
    env: () => ({ ...process.env, AWS_ACCESS_KEY_ID: ACCESS, AWS_SECRET_ACCESS_KEY: SECRET, AWS_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true' }),
    config: () => ({ endpoint, region: 'us-east-1', credentials: { accessKeyId: ACCESS, secretAccessKey: SECRET } }),
  };
}

export const dynamoServer = (t: TestContext): AwsServer | undefined => server(t, 'EKV_TEST_DYNAMODB_ENDPOINT', 'dynalite.sh');
export const sqsServer = (t: TestContext): AwsServer | undefined => server(t, 'EKV_TEST_SQS_ENDPOINT', 'moto-sqs.sh');

export { SECRET as TEST_SECRET };
