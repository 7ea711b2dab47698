export { createServiceRuntime, type CreateServiceRuntimeOptions, type ServiceRuntime } from './service-runtime';
export { startOpsServer } from './ops-server';
export { instanceSecret } from './instance-secret';
