// The one D-Bus face of the service. It answers method calls on our object
// tree straight from the contract (data/*.xml): the caller's signature is
// checked against it before any handler runs, replies are marshalled with
// the contract's out-signature, properties and introspection come from it.
// The root object is an org.freedesktop.DBus.ObjectManager: every object
// below it comes and goes with InterfacesAdded (carrying its properties)
// and InterfacesRemoved, and GetManagedObjects hands out all of them in one
// reply, kept marshalled per object between changes.
// Whatever a handler throws, the caller gets a typed error and never a stack;
// calls to what is not here get the standard D-Bus errors: the exporter is
// the one face of its connection, so a call on any path outside its tree is
// UnknownObject (only the bus's Peer interface answers everywhere).

import { Message, MessageBus, Variant } from '@jellybrick/dbus-next';
import { sendQuietly } from '../dbus/bus.js';
import { EncodedBody, encodeManagedObject, encodeManagedObjects, sendEncodedReply } from '../dbus/encoded-reply.js';
import { introspectionXml, type InterfaceSpec } from '../contract/interface-xml.js';
import type { InterfaceName, Switcher1 } from '../contract/switcher1.js';
import { log } from '../log.js';
import { errorMessage, SwitcherError } from '../errors.js';
import { dbusErrorMessage, dbusErrorName } from './dbus-errors.js';
import type { HeaderFields } from '../dbus/inbound-limit.js';

const METHOD_CALL = 1;
const ALLOW_INTERACTIVE_AUTHORIZATION = 0x4;
const PROPERTIES = 'org.freedesktop.DBus.Properties';
const INTROSPECTABLE = 'org.freedesktop.DBus.Introspectable';
const OBJECT_MANAGER = 'org.freedesktop.DBus.ObjectManager';
const PEER = 'org.freedesktop.DBus.Peer';
const INTERNAL = 'me.phyllo.Switcher1.Error.Internal';
/** The standard interfaces' methods we answer, with their in-signatures. */
const STANDARD_IN_SIGNATURES: [string, Map<string, string>][] = [
  [
    PROPERTIES,
    new Map([
      ['Get', 'ss'],
      ['GetAll', 's'],
      ['Set', 'ssv'],
    ]),
  ],
  [INTROSPECTABLE, new Map([['Introspect', '']])],
  [OBJECT_MANAGER, new Map([['GetManagedObjects', '']])],
  [
    PEER,
    new Map([
      ['Ping', ''],
      ['GetMachineId', ''],
    ]),
  ],
];

/** A standard D-Bus error (UnknownMethod, InvalidArgs…), for calls that miss what we have. */
export class StandardError extends Error {
  constructor(
    override readonly name: string,
    message: string,
  ) {
    super(message);
  }
}
const standard = (name: string, message: string): StandardError =>
  new StandardError(`org.freedesktop.DBus.Error.${name}`, message);

/** Who is calling, as the bus says. */
export interface Caller {
  /** The caller's unique bus name. */
  sender: string;
  /** The caller set ALLOW_INTERACTIVE_AUTHORIZATION: polkit may ask the user. */
  interactive: boolean;
}

type Methods<I extends InterfaceName> = Switcher1[I]['methods'];
type In<T> = T extends { in: infer A extends unknown[] } ? A : never;
type Out<T> = T extends { out: infer A extends unknown[] } ? A : never;

/** A method's handler: the contract's in-arguments in, its out-arguments (or a body marshalled ahead) out. */
export type MethodHandler<In extends unknown[], Out extends unknown[]> = (
  args: In,
  caller: Caller,
) => Promise<Out | EncodedBody> | Out | EncodedBody;

/** An interface of the contract on one object. */
export interface InterfaceImpl<I extends InterfaceName = InterfaceName> {
  readonly interfaceName: I;
  /** Every property's current value. */
  properties(): Switcher1[I]['properties'];
  readonly methods: { [M in keyof Methods<I>]: MethodHandler<In<Methods<I>[M]>, Out<Methods<I>[M]>> };
  /** Sets a property the contract marks writable; checks the value and the caller first. */
  setProperty?(name: string, value: unknown, caller: Caller): Promise<void>;
}

// The exporter handles implementations of any interface alike.
interface AnyImpl {
  readonly interfaceName: string;
  properties(): object;
  readonly methods: Record<string, MethodHandler<unknown[], unknown[]>>;
  setProperty?(name: string, value: unknown, caller: Caller): Promise<void>;
}

type Reply = [signature: string, body: unknown[] | EncodedBody];

interface ExportedObject {
  impls: Map<string, AnyImpl>;
  /** This object's GetManagedObjects entry, until it changes. */
  encoded?: Buffer;
}

/** Decides the error for a call on a path under a namespace that holds no object. */
export type MissingObjectError = (path: string) => SwitcherError;

export class ObjectExporter {
  private readonly objects = new Map<string, ExportedObject>();
  private readonly missing = new Map<string, MissingObjectError>();
  private readonly handler = (message: Message): boolean => this.dispatch(message);
  private readonly childrenCache = new Map<string, string[]>();
  private signatures: Map<string, Map<string, string>> | undefined;

  constructor(
    private readonly bus: MessageBus,
    private readonly contract: Map<string, InterfaceSpec>,
    /** The ObjectManager: every object below it is managed. */
    private readonly root: string,
  ) {}

  start(): void {
    this.bus.addMethodHandler(this.handler);
  }

  stop(): void {
    this.bus.removeMethodHandler(this.handler);
    this.objects.clear();
  }

  /**
   * Judges a call from its header alone, before its body is decoded
   * (service/dbus/inbound-limit.ts): a body of containers (arrays, variants,
   * structs) that no method of that name takes is answered at once, unread,
   * as the exporter would answer it once read (a call on a path with nothing
   * there may so hear InvalidArgs rather than UnknownObject). Decoding such a
   * body is the costly part of a message; every other call is left to route().
   */
  judgeCall({ interface: iface, member, signature }: HeaderFields): { name: string; text: string } | undefined {
    if (!/[av({]/.test(signature)) return undefined;
    const candidates = iface ? [this.inSignatures().get(iface)?.get(member)] : this.allInSignatures(member);
    const known = candidates.filter((c): c is string => c !== undefined);
    if (known.includes(signature)) return undefined;
    if (iface && !this.inSignatures().has(iface)) {
      return { name: 'org.freedesktop.DBus.Error.UnknownInterface', text: `No interface ${iface} here` };
    }
    if (known.length === 0) {
      return {
        name: 'org.freedesktop.DBus.Error.UnknownMethod',
        text: `No method ${iface ? `${iface}.` : ''}${member}`,
      };
    }
    return {
      name: 'org.freedesktop.DBus.Error.InvalidArgs',
      text: `${member} takes arguments of type '${known[0]}', not '${signature.slice(0, 64)}'`,
    };
  }

  /** Each interface's methods' in-signatures: the contract's and the standard ones we answer. */
  private inSignatures(): Map<string, Map<string, string>> {
    if (!this.signatures) {
      this.signatures = new Map(STANDARD_IN_SIGNATURES);
      for (const [name, spec] of this.contract) {
        this.signatures.set(name, new Map([...spec.methods].map(([member, method]) => [member, method.inSignature])));
      }
    }
    return this.signatures;
  }

  private allInSignatures(member: string): (string | undefined)[] {
    return [...this.inSignatures().values()].map((methods) => methods.get(member));
  }

  spec(interfaceName: string): InterfaceSpec {
    const spec = this.contract.get(interfaceName);
    if (!spec) throw new Error(`interface ${interfaceName} is not in the contract`);
    return spec;
  }

  has(path: string): boolean {
    return this.objects.has(path);
  }

  /** Exports an object; one below the root is announced with InterfacesAdded and its properties. */
  export(path: string, impls: InterfaceImpl[]): void {
    const anyImpls = impls as unknown as AnyImpl[];
    for (const impl of anyImpls) this.spec(impl.interfaceName);
    this.objects.set(path, { impls: new Map(anyImpls.map((i) => [i.interfaceName, i])) });
    this.childrenCache.clear();
    if (this.isManaged(path)) {
      this.signal(this.root, OBJECT_MANAGER, 'InterfacesAdded', 'oa{sa{sv}}', [
        path,
        this.interfacesAndProperties(anyImpls),
      ]);
    }
  }

  /** Unexports an object; one below the root is announced with InterfacesRemoved. */
  unexport(path: string): void {
    const object = this.objects.get(path);
    if (!object) return;
    this.objects.delete(path);
    this.childrenCache.clear();
    if (this.isManaged(path)) {
      this.signal(this.root, OBJECT_MANAGER, 'InterfacesRemoved', 'oas', [path, [...object.impls.keys()]]);
    }
  }

  /** Calls under prefix that find no object get this error instead of UnknownObject (a guest, a USB device that went). */
  onMissingObject(prefix: string, error: MissingObjectError): void {
    this.missing.set(prefix, error);
  }

  /** Emits a signal of the contract's: to all, or to `destination` alone (a unique bus name). */
  emitSignal<I extends InterfaceName, S extends keyof Switcher1[I]['signals'] & string>(
    path: string,
    interfaceName: I,
    member: S,
    body: Switcher1[I]['signals'][S],
    destination = '',
  ): void {
    const signal = this.spec(interfaceName).signals.get(member);
    if (!signal) throw new Error(`signal ${interfaceName}.${member} is not in the contract`);
    this.signal(path, interfaceName, member, signal.signature, body as unknown[], destination);
  }

  /** Announces new values of properties; names not in the contract are a programming error. */
  emitPropertiesChanged<I extends InterfaceName>(
    path: string,
    interfaceName: I,
    changed: Partial<Switcher1[I]['properties']>,
  ): void {
    const spec = this.spec(interfaceName);
    const values: Record<string, Variant> = {};
    for (const [name, value] of Object.entries(changed)) {
      const property = spec.properties.get(name);
      if (!property) throw new Error(`property ${interfaceName}.${name} is not in the contract`);
      if (property.emitsChanged === 'true') values[name] = new Variant(property.type, value);
    }
    const object = this.objects.get(path);
    if (object) object.encoded = undefined;
    if (Object.keys(values).length === 0) return;
    this.signal(path, PROPERTIES, 'PropertiesChanged', 'sa{sv}as', [interfaceName, values, []]);
  }

  private signal(
    path: string,
    iface: string,
    member: string,
    signature: string,
    body: unknown[],
    destination = '',
  ): void {
    const message = Message.newSignal(path, iface, member, signature, body);
    // A unicast signal: the bus delivers it to that connection alone.
    if (destination) message.destination = destination;
    sendQuietly(this.bus, message);
  }

  private isManaged(path: string): boolean {
    return path.startsWith(`${this.root}/`);
  }

  private interfacesAndProperties(impls: Iterable<AnyImpl>): Record<string, Record<string, Variant>> {
    const all: Record<string, Record<string, Variant>> = {};
    for (const impl of impls) all[impl.interfaceName] = this.allProperties(impl);
    return all;
  }

  private allProperties(impl: AnyImpl): Record<string, Variant> {
    const spec = this.spec(impl.interfaceName);
    const values = impl.properties() as Record<string, unknown>;
    const all: Record<string, Variant> = {};
    for (const property of spec.properties.values()) {
      all[property.name] = new Variant(property.type, values[property.name]);
    }
    return all;
  }

  private dispatch(message: Message): boolean {
    if (message.type !== METHOD_CALL) return false;
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

  /** An object of ours, the root (the ObjectManager), or a path above it (where Introspect lists what is below). */
  private isOurs(path: string): boolean {
    return this.objects.has(path) || path === this.root || this.root.startsWith(`${path === '/' ? '' : path}/`);
  }

  /** Whether an object of ours lies below `path` (not cached: any caller may ask of any path). */
  private isAboveAnObject(path: string): boolean {
    const prefix = path === '/' ? '/' : `${path}/`;
    for (const candidate of this.objects.keys()) if (candidate.startsWith(prefix)) return true;
    return false;
  }

  /** Returns the reply to send, or undefined to leave the message to dbus-next (Peer, on any path). */
  private route(message: Message): Promise<Reply> | undefined {
    const { path, member } = message;
    const signature = message.signature ?? '';
    const iface = message.interface;
    if (iface === PEER) return undefined;
    const introspection = iface === INTROSPECTABLE || (!iface && member === 'Introspect');
    // Nothing here, whatever the call: the standard UnknownObject (or the error the namespace decides).
    // A node between ours (…/guest) holds no object, but introspects, listing what is below it.
    if (!this.isOurs(path) && !(introspection && this.isAboveAnObject(path))) throw this.missingError(path);
    if (introspection) {
      if (member !== 'Introspect') throw standard('UnknownMethod', `No method ${member} in ${INTROSPECTABLE}`);
      expectSignature(signature, '', 'Introspect');
      return Promise.resolve(['s', [this.introspect(path)]]);
    }
    if (path === this.root && (iface === OBJECT_MANAGER || (!iface && member === 'GetManagedObjects'))) {
      if (member !== 'GetManagedObjects') throw standard('UnknownMethod', `No method ${member} in ${OBJECT_MANAGER}`);
      expectSignature(signature, '', member);
      return Promise.resolve(['a{oa{sa{sv}}}', this.managedObjects()]);
    }
    const object = this.objects.get(path);
    if (!object) throw this.missingError(path);
    const caller: Caller = {
      sender: message.sender,
      interactive: (message.flags & ALLOW_INTERACTIVE_AUTHORIZATION) !== 0,
    };
    if (iface === PROPERTIES) return this.properties(object, member, signature, message.body, caller);
    if (iface && !object.impls.has(iface)) throw standard('UnknownInterface', `No interface ${iface} at ${path}`);
    const impl = iface
      ? object.impls.get(iface)
      : [...object.impls.values()].find((i) => this.spec(i.interfaceName).methods.has(member));
    const method = impl && this.spec(impl.interfaceName).methods.get(member);
    const handler = impl?.methods[member];
    if (!impl || !method || !handler) {
      throw standard('UnknownMethod', `No method ${iface ? `${iface}.` : ''}${member} at ${path}`);
    }
    expectSignature(signature, method.inSignature, member);
    return Promise.resolve(handler(message.body, caller)).then((body): Reply => {
      if (body instanceof EncodedBody && body.signature !== method.outSignature) {
        throw new Error(`${member} encoded a '${body.signature}' body for a '${method.outSignature}' method`);
      }
      return [method.outSignature, body];
    });
  }

  private async properties(
    object: ExportedObject,
    member: string,
    signature: string,
    body: unknown[],
    caller: Caller,
  ): Promise<Reply> {
    const impl = (name: unknown): [AnyImpl, InterfaceSpec] => {
      const found = typeof name === 'string' ? object.impls.get(name) : undefined;
      if (!found) throw standard('UnknownInterface', `No interface ${String(name)} on this object`);
      return [found, this.spec(found.interfaceName)];
    };
    const property = (spec: InterfaceSpec, name: unknown) => {
      const found = spec.properties.get(String(name));
      if (!found) throw standard('UnknownProperty', `No property ${String(name)} in ${spec.name}`);
      return found;
    };
    switch (member) {
      case 'Get': {
        expectSignature(signature, 'ss', 'Get');
        const [found, spec] = impl(body[0]);
        const wanted = property(spec, body[1]);
        const values = found.properties() as Record<string, unknown>;
        return ['v', [new Variant(wanted.type, values[wanted.name])]];
      }
      case 'GetAll': {
        expectSignature(signature, 's', 'GetAll');
        const [found] = impl(body[0]);
        return ['a{sv}', [this.allProperties(found)]];
      }
      case 'Set': {
        expectSignature(signature, 'ssv', 'Set');
        const [found, spec] = impl(body[0]);
        const wanted = property(spec, body[1]);
        if (wanted.access === 'read' || !found.setProperty) {
          throw standard('PropertyReadOnly', `Property ${wanted.name} is read-only`);
        }
        const variant = body[2] as Variant;
        if (variant.signature !== wanted.type) {
          throw standard('InvalidArgs', `${wanted.name} is of type '${wanted.type}', not '${variant.signature}'`);
        }
        await found.setProperty(wanted.name, variant.value, caller);
        return ['', []];
      }
      default:
        throw standard('UnknownMethod', `No method ${member} in ${PROPERTIES}`);
    }
  }

  /** Every object below the root with all its properties, each entry kept marshalled until it changes. */
  private managedObjects(): EncodedBody {
    const entries: Buffer[] = [];
    for (const [path, object] of this.objects) {
      if (!this.isManaged(path)) continue;
      object.encoded ??= encodeManagedObject(path, this.interfacesAndProperties(object.impls.values()));
      entries.push(object.encoded);
    }
    return encodeManagedObjects(entries);
  }

  private missingError(path: string): Error {
    for (const [prefix, error] of this.missing) {
      if (path.startsWith(prefix)) return error(path);
    }
    return standard('UnknownObject', `No object at ${path}`);
  }

  private introspect(path: string): string {
    const object = this.objects.get(path);
    const interfaces = object ? [...object.impls.keys()].map((name) => this.spec(name)) : [];
    // Our paths' children are cached until the objects change; a node between them is rarely asked.
    const children = this.isOurs(path) ? this.childrenOf(path) : this.childrenBelow(path);
    return introspectionXml(interfaces, children, path === this.root);
  }

  private childrenOf(path: string): string[] {
    const cached = this.childrenCache.get(path);
    if (cached) return cached;
    const sorted = this.childrenBelow(path);
    this.childrenCache.set(path, sorted);
    return sorted;
  }

  private childrenBelow(path: string): string[] {
    const prefix = path === '/' ? '/' : `${path}/`;
    const children = new Set<string>();
    for (const candidate of [this.root, ...this.objects.keys()]) {
      if (candidate.startsWith(prefix) && candidate.length > prefix.length) {
        children.add(candidate.slice(prefix.length).split('/')[0] as string);
      }
    }
    return [...children].sort();
  }

  private reply(message: Message, [signature, body]: Reply): void {
    try {
      // Marshals now, so a body that does not fit the signature throws here.
      if (body instanceof EncodedBody) sendEncodedReply(this.bus, message, body);
      else this.bus.send(Message.newMethodReturn(message, signature, body));
    } catch (error) {
      // A reply that does not fit the contract is our bug: say so, keep the details here.
      log.error(`reply to ${message.member} on ${message.path} could not be sent: ${errorMessage(error)}`);
      sendQuietly(this.bus, Message.newError(message, INTERNAL, 'The service failed to answer; see its log'));
    }
  }

  private replyError(message: Message, error: unknown): void {
    if (error instanceof SwitcherError) {
      sendQuietly(this.bus, Message.newError(message, dbusErrorName(error.kind), dbusErrorMessage(error.message)));
      return;
    }
    if (error instanceof StandardError) {
      sendQuietly(this.bus, Message.newError(message, error.name, dbusErrorMessage(error.message)));
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
    throw standard('InvalidArgs', `${member} takes arguments of type '${expected}', not '${actual}'`);
  }
}
