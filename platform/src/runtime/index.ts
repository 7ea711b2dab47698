export { startOpsServer } from './ops-server';
export { createServiceRuntime, type CreateServiceRuntimeOptions, type ServiceRuntime } from './service-runtime';
