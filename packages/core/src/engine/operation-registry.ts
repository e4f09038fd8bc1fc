import type { Location } from '../provider.ts';
import { Operation } from './operation.ts';
import type { OperationKind } from './scheduler.ts';

/** The backups and restores this process started, by what the API addresses them with. */
export class OperationRegistry {
  readonly #operations = new Map<string, Operation>();

  add(operation: Operation): void {
    this.#operations.set(Operation.key(operation.kind, operation.backend, operation.id, operation.location), operation);
  }

  get(kind: OperationKind, backend: string, id: string, location: Location): Operation | undefined {
    return this.#operations.get(Operation.key(kind, backend, id, location));
  }

  delete(kind: OperationKind, backend: string, id: string, location: Location): void {
    this.#operations.delete(Operation.key(kind, backend, id, location));
  }

  values(): IterableIterator<Operation> {
    return this.#operations.values();
  }

  running(): Operation[] {
    return [...this.#operations.values()].filter((operation) => operation.running);
  }
}

/** True while status reads answer from memory: still running, or ended but its final status is not stored yet. */
export function answersFromMemory(operation: Operation): boolean {
  return operation.running || !operation.recorded;
}
