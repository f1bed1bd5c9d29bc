import type { AnyRoute } from '../route';
import { actionRoutes } from './actions';
import { alertRoutes } from './alerts';
import { commandRoutes } from './commands';
import { credentialRoutes } from './credentials';
import { healthRoutes } from './health';
import { hookRoutes } from './hooks';
import { keyRoutes } from './keys';
import { logRoutes } from './logs';
import { metricsRoutes } from './metrics';
import { milestoneRoutes } from './milestones';
import { orgRoutes } from './orgs';
import { runRoutes } from './runs';
import { systemRoutes } from './system';
import { targetRoutes } from './targets';
import { workflowRoutes } from './workflows';

/** Every route of the API, in the order the docs list them. */
export const allRoutes: AnyRoute[] = [
  ...healthRoutes,
  ...metricsRoutes,
  ...orgRoutes,
  ...keyRoutes,
  ...commandRoutes,
  ...actionRoutes,
  ...runRoutes,
  ...targetRoutes,
  ...alertRoutes,
  ...logRoutes,
  ...milestoneRoutes,
  ...workflowRoutes,
  ...credentialRoutes,
  ...hookRoutes,
  ...systemRoutes,
];
