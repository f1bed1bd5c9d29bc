// zod, extended with .openapi() once per process, so a resource's schema declared next to its
// domain validates requests, types the domain (z.infer) and describes the API.
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

extendZodWithOpenApi(z);

export { z };
