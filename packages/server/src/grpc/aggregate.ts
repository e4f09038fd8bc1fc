import { requireCollection, type ApiContext } from '../api/context.ts';
import { tenantErrors, tenantOption } from '../api/object-write.ts';
import { checkClassName } from '../api/validation.ts';
import { unimplemented } from './status.ts';
import type { Message } from './message.ts';

const UNSUPPORTED = [
  'group_by',
  'filters',
  'hybrid',
  'near_vector',
  'near_object',
  'near_text',
  'near_image',
  'near_audio',
  'near_video',
  'near_depth',
  'near_thermal',
  'near_imu',
  'object_limit',
  'limit',
] as const;

/**
 * `weaviate.v1.Weaviate/Aggregate` over the whole collection: the object
 * count (`aggregate.over_all(total_count=True)`, TS `length()`). Property
 * aggregations, filters, grouping and searches answer UNIMPLEMENTED.
 */
export async function aggregate(context: ApiContext, request: Message): Promise<Message> {
  const started = performance.now();
  for (const field of UNSUPPORTED) {
    if (request[field] !== undefined && request[field] !== null) {
      throw unimplemented(`Aggregate: '${field}' is not supported by this server; it counts the objects of a whole collection`);
    }
  }
  if ((request.aggregations ?? []).length > 0)
    throw unimplemented('Aggregate: property aggregations are not supported by this server; only the object count is');
  const collection = requireCollection(context, checkClassName(request.collection));
  const tenant = request.tenant === '' ? undefined : (request.tenant as string | undefined);
  const count = request.objects_count === true ? await tenantErrors(() => collection.count(tenantOption(tenant))) : undefined;
  return {
    took: (performance.now() - started) / 1000,
    single_result: { ...(count !== undefined ? { objects_count: count } : {}), aggregations: { aggregations: [] } },
  };
}
