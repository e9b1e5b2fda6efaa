import type { Backend } from '../api/backend';
import type { AppEvents, EventBus } from '../events';

/**
 * What every service function needs: the backend to call and the bus to announce saves on.
 * Services hold no state of their own, so views and tests pass this in.
 */
export interface ServiceContext {
  backend: Backend;
  events: EventBus<AppEvents>;
}
