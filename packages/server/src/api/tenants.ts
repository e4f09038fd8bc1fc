import type { Collection, Tenant } from '@backup/lsm';
import { notFound, unprocessable } from '../http/errors.ts';
import type { Router } from '@backup/core';
import { requireCollection, type ApiContext } from './context.ts';
import { parseTenantStatus } from './tenant-status.ts';
import { isJsonObject, requireArrayBody } from './validation.ts';

/** `POST|GET|PUT|DELETE /schema/{class}/tenants` and `GET /schema/{class}/tenants/{tenant}`. */
export function registerTenantRoutes(router: Router, context: ApiContext): void {
  router.add('POST', '/schema/{class}/tenants', async ({ params, body }) => {
    const collection = multiTenant(context, params.class!);
    const tenants = parseTenants(body, false);
    await collection.addTenants(tenants);
    // Existing tenants are left as they were; answer with what is stored now.
    const stored = new Map(collection.listTenants().map((tenant) => [tenant.name, tenant]));
    return { status: 200, body: tenants.map((tenant) => stored.get(tenant.name) ?? tenant) };
  });

  router.add('GET', '/schema/{class}/tenants', ({ params }) => ({
    status: 200,
    body: multiTenant(context, params.class!).listTenants(),
  }));

  router.add('GET', '/schema/{class}/tenants/{tenant}', ({ params }) => {
    const tenant = multiTenant(context, params.class!)
      .listTenants()
      .find((candidate) => candidate.name === params.tenant);
    if (tenant === undefined) throw notFound(`tenant '${params.tenant}' not found in class '${params.class}'`);
    return { status: 200, body: tenant };
  });

  router.add('PUT', '/schema/{class}/tenants', async ({ params, body }) => {
    const collection = multiTenant(context, params.class!);
    const tenants = parseTenants(body, true);
    const known = new Set(collection.listTenants().map((tenant) => tenant.name));
    const missing = tenants.find((tenant) => !known.has(tenant.name));
    if (missing !== undefined) throw unprocessable(`tenant '${missing.name}' not found in class '${collection.name}'`);
    await collection.updateTenants(tenants);
    return { status: 200, body: tenants };
  });

  // Weaviate takes a list of names; `{name}` objects are accepted too.
  router.add('DELETE', '/schema/{class}/tenants', async ({ params, body }) => {
    const collection = multiTenant(context, params.class!);
    const names = requireArrayBody(body, 'tenant names').map((item, index) => {
      const name = isJsonObject(item) ? item.name : item;
      if (typeof name !== 'string' || name === '') throw unprocessable(`tenant #${index}: a tenant name is required`);
      return name;
    });
    await collection.deleteTenants(names);
    return { status: 200 };
  });
}

function multiTenant(context: ApiContext, className: string): Collection {
  const collection = requireCollection(context, className);
  if (!collection.multiTenant) throw unprocessable(`multi-tenancy is not enabled for class '${className}'`);
  return collection;
}

function parseTenants(body: unknown, statusRequired: boolean): Tenant[] {
  const seen = new Set<string>();
  return requireArrayBody(body, 'tenants [{name, activityStatus}]').map((item, index) => {
    if (!isJsonObject(item) || typeof item.name !== 'string' || item.name === '') {
      throw unprocessable(`tenant #${index}: a tenant needs a name`);
    }
    const name = item.name;
    if (seen.has(name)) throw unprocessable(`tenant '${name}' is listed more than once`);
    seen.add(name);
    if (item.activityStatus === undefined || item.activityStatus === null) {
      if (statusRequired) throw unprocessable(`tenant '${name}': activityStatus is required`);
      return { name, activityStatus: 'HOT' };
    }
    return { name, activityStatus: parseTenantStatus(item.activityStatus, name) };
  });
}
