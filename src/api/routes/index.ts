import type { AnyRoute } from '../route';
import { healthRoutes } from './health';
import { keyRoutes } from './keys';
import { orgRoutes } from './orgs';
import { workflowRoutes } from './workflows';

/** Every route of the API, in the order the docs list them. */
export const allRoutes: AnyRoute[] = [...healthRoutes, ...orgRoutes, ...keyRoutes, ...workflowRoutes];
