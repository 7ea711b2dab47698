export { bullmqQueueComponent, bullmqWorkerComponent, closeableComponent, httpServerComponent } from './components';
export {
  type ComponentOutcome,
  Lifecycle,
  type LifecycleComponent,
  type LifecycleOptions,
  type LifecycleState,
  type ReadinessSource,
  type ShutdownReport,
  type SignalSource,
} from './lifecycle';
