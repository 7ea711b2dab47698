export { createServiceRuntime, type CreateServiceRuntimeOptions, type ServiceRuntime } from './service-runtime';
export { type OpsServerOptions, startOpsServer } from './ops-server';
export { instanceSecret } from './instance-secret';
