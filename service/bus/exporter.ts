// The one D-Bus face of the service. It answers method calls on our object
// tree straight from the contract (data/*.xml): the caller's signature is
// checked against it before any handler runs, replies are marshalled with
// the contract's out-signature, properties and introspection come from it.
// Whatever a handler throws, the caller gets a typed error and never a stack.

import { Message, MessageBus, Variant } from '@jellybrick/dbus-next';
import { sendQuietly } from '../dbus/bus.js';
import { EncodedBody, sendEncodedReply } from '../dbus/encoded-reply.js';
import { introspectionXml, type InterfaceSpec } from '../contract/interface-xml.js';
import { log } from '../log.js';
import { SwitcherError, invalidArgument } from '../errors.js';
import { dbusErrorName } from './dbus-errors.js';

const METHOD_CALL = 1;
const PROPERTIES = 'org.freedesktop.DBus.Properties';
const INTROSPECTABLE = 'org.freedesktop.DBus.Introspectable';
const INTERNAL = 'me.phyllo.Switcher1.Error.Internal';

/**
 * An interface implementation on one object. Values are in dbus-next's JS
 * form; a method may instead return a body marshalled in advance.
 */
export interface InterfaceImpl {
  readonly interfaceName: string;
  getProperty(name: string): unknown;
  call(method: string, args: unknown[], sender: string): Promise<unknown[] | EncodedBody> | unknown[] | EncodedBody;
}

type Reply = [signature: string, body: unknown[] | EncodedBody];

interface ExportedObject {
  impls: Map<string, InterfaceImpl>;
}

/** Decides the error for a call on a path under a namespace that holds no object. */
export type MissingObjectError = (path: string) => SwitcherError;

export class ObjectExporter {
  private readonly objects = new Map<string, ExportedObject>();
  private readonly missing = new Map<string, MissingObjectError>();
  private readonly handler = (message: Message): boolean => this.dispatch(message);
  private readonly listCache = new Map<string, string[]>();

  constructor(
    private readonly bus: MessageBus,
    private readonly contract: Map<string, InterfaceSpec>,
    private readonly root: string,
  ) {}

  start(): void {
    this.bus.addMethodHandler(this.handler);
  }

  stop(): void {
    this.bus.removeMethodHandler(this.handler);
    this.objects.clear();
  }

  spec(interfaceName: string): InterfaceSpec {
    const spec = this.contract.get(interfaceName);
    if (!spec) throw new Error(`interface ${interfaceName} is not in the contract`);
    return spec;
  }

  export(path: string, impls: InterfaceImpl[]): void {
    for (const impl of impls) this.spec(impl.interfaceName);
    this.objects.set(path, { impls: new Map(impls.map((i) => [i.interfaceName, i])) });
    this.listCache.clear();
  }

  unexport(path: string): void {
    this.objects.delete(path);
    this.listCache.clear();
  }

  /** Calls under prefix that find no object get this error instead of UnknownObject. */
  onMissingObject(prefix: string, error: MissingObjectError): void {
    this.missing.set(prefix, error);
  }

  emitSignal(path: string, interfaceName: string, member: string, body: unknown[]): void {
    const signal = this.spec(interfaceName).signals.get(member);
    if (!signal) throw new Error(`signal ${interfaceName}.${member} is not in the contract`);
    sendQuietly(this.bus, Message.newSignal(path, interfaceName, member, signal.signature, body));
  }

  /** Announces new values of properties; names not in the contract are a programming error. */
  emitPropertiesChanged(path: string, interfaceName: string, changed: Record<string, unknown>): void {
    const spec = this.spec(interfaceName);
    const values: Record<string, Variant> = {};
    for (const [name, value] of Object.entries(changed)) {
      const property = spec.properties.get(name);
      if (!property) throw new Error(`property ${interfaceName}.${name} is not in the contract`);
      if (property.emitsChanged === 'true') values[name] = new Variant(property.type, value);
    }
    if (Object.keys(values).length === 0) return;
    sendQuietly(
      this.bus,
      Message.newSignal(path, PROPERTIES, 'PropertiesChanged', 'sa{sv}as', [interfaceName, values, []]),
    );
  }

  private dispatch(message: Message): boolean {
    if (message.type !== METHOD_CALL) return false;
    const path = message.path;
    if (!this.isOurs(path)) return false;
    try {
      const result = this.route(message);
      if (result === undefined) return false;
      void result.then(
        (reply) => this.reply(message, reply),
        (error: unknown) => this.replyError(message, error),
      );
    } catch (error) {
      this.replyError(message, error);
    }
    return true;
  }

  private isOurs(path: string): boolean {
    return (
      path === this.root || path.startsWith(`${this.root}/`) || this.root.startsWith(`${path === '/' ? '' : path}/`)
    );
  }

  /** Returns the reply to send, or undefined to leave the message to dbus-next (Peer). */
  private route(message: Message): Promise<Reply> | undefined {
    const { path, member } = message;
    const signature = message.signature ?? '';
    const iface = message.interface;
    if (iface === 'org.freedesktop.DBus.Peer') return undefined;
    if (iface === INTROSPECTABLE || (!iface && member === 'Introspect')) {
      expectSignature(signature, '', 'Introspect');
      return Promise.resolve(['s', [this.introspect(path)]]);
    }
    const object = this.objects.get(path);
    if (!object) throw this.missingError(path);
    if (iface === PROPERTIES) return Promise.resolve(this.properties(object, member, signature, message.body));
    const impl = iface
      ? object.impls.get(iface)
      : [...object.impls.values()].find((i) => this.spec(i.interfaceName).methods.has(member));
    const method = impl && this.spec(impl.interfaceName).methods.get(member);
    if (!impl || !method) {
      throw new SwitcherError('InvalidArgument', `No method ${iface ? `${iface}.` : ''}${member} on ${path}`);
    }
    expectSignature(signature, method.inSignature, member);
    return Promise.resolve(impl.call(member, message.body, message.sender)).then((body): Reply => {
      if (body instanceof EncodedBody && body.signature !== method.outSignature) {
        throw new Error(`${member} encoded a '${body.signature}' body for a '${method.outSignature}' method`);
      }
      return [method.outSignature, body];
    });
  }

  private properties(object: ExportedObject, member: string, signature: string, body: unknown[]): [string, unknown[]] {
    const impl = (name: unknown): [InterfaceImpl, InterfaceSpec] => {
      const found = typeof name === 'string' ? object.impls.get(name) : undefined;
      if (!found) throw invalidArgument(`No interface ${String(name)} on this object`);
      return [found, this.spec(found.interfaceName)];
    };
    switch (member) {
      case 'Get': {
        expectSignature(signature, 'ss', 'Get');
        const [found, spec] = impl(body[0]);
        const property = spec.properties.get(String(body[1]));
        if (!property) throw invalidArgument(`No property ${String(body[1])} on ${spec.name}`);
        return ['v', [new Variant(property.type, found.getProperty(property.name))]];
      }
      case 'GetAll': {
        expectSignature(signature, 's', 'GetAll');
        const [found, spec] = impl(body[0]);
        const all: Record<string, Variant> = {};
        for (const property of spec.properties.values()) {
          all[property.name] = new Variant(property.type, found.getProperty(property.name));
        }
        return ['a{sv}', [all]];
      }
      case 'Set': {
        expectSignature(signature, 'ssv', 'Set');
        const [, spec] = impl(body[0]);
        if (!spec.properties.has(String(body[1])))
          throw invalidArgument(`No property ${String(body[1])} on ${spec.name}`);
        throw new SwitcherError('ReadOnly', `Property ${String(body[1])} is read-only`);
      }
      default:
        throw invalidArgument(`No method ${PROPERTIES}.${member}`);
    }
  }

  private missingError(path: string): SwitcherError {
    for (const [prefix, error] of this.missing) {
      if (path.startsWith(prefix)) return error(path);
    }
    return new SwitcherError('InvalidArgument', `No object at ${path}`);
  }

  private introspect(path: string): string {
    const object = this.objects.get(path);
    const interfaces = object ? [...object.impls.keys()].map((name) => this.spec(name)) : [];
    return introspectionXml(interfaces, this.childrenOf(path));
  }

  private childrenOf(path: string): string[] {
    const cached = this.listCache.get(path);
    if (cached) return cached;
    const prefix = path === '/' ? '/' : `${path}/`;
    const children = new Set<string>();
    for (const candidate of [this.root, ...this.objects.keys()]) {
      if (candidate.startsWith(prefix) && candidate.length > prefix.length) {
        children.add(candidate.slice(prefix.length).split('/')[0] as string);
      }
    }
    const sorted = [...children].sort();
    this.listCache.set(path, sorted);
    return sorted;
  }

  private reply(message: Message, [signature, body]: Reply): void {
    try {
      // Marshals now, so a body that does not fit the signature throws here.
      if (body instanceof EncodedBody) sendEncodedReply(this.bus, message, body);
      else this.bus.send(Message.newMethodReturn(message, signature, body));
    } catch (error) {
      // A reply that does not fit the contract is our bug: say so, keep the details here.
      log.error(`reply to ${message.member} on ${message.path} could not be sent: ${String(error)}`);
      sendQuietly(this.bus, Message.newError(message, INTERNAL, 'The service failed to answer; see its log'));
    }
  }

  private replyError(message: Message, error: unknown): void {
    if (error instanceof SwitcherError) {
      sendQuietly(this.bus, Message.newError(message, dbusErrorName(error.kind), error.message));
      return;
    }
    log.error(
      `${message.member} on ${message.path} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    sendQuietly(this.bus, Message.newError(message, INTERNAL, 'The service failed to answer; see its log'));
  }
}

function expectSignature(actual: string, expected: string, member: string): void {
  if (actual !== expected) {
    throw invalidArgument(`${member} takes arguments of type '${expected}', not '${actual}'`);
  }
}
