/**
 * The Weaviate version this server's REST subset follows. Clients read it from
 * `/v1/meta` to pick endpoints: `weaviate-ts-client` v2 uses the class-scoped
 * object paths (`/objects/{class}/{id}`) only for versions >= 1.14.
 */
export const WEAVIATE_COMPATIBLE_VERSION = '1.32.0';
