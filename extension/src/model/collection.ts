// How a kind of object (guests, USB devices, seats) is handed on: a fresh
// start, then single changes, in order. Types only.

export interface CollectionListener<T extends { path: string }> {
  reset(items: T[]): void;
  added(item: T): void;
  removed(path: string): void;
  changed(path: string, changes: Partial<Omit<T, 'path'>>): void;
}
