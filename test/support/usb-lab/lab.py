#!/usr/bin/python3
# USB lab: a fake sysfs/udev world (umockdev) in which tests plug and unplug
# recorded USB devices and run programs that watch them.
#
# Run it as
#     umockdev-wrapper /usr/bin/python3 lab.py [--fixtures DIR]
# (Debian's /usr/bin/python3: it has python3-gi and gir1.2-umockdev-1.0.)
# The wrapper matters: umockdev only synthesises uevents from a process that
# runs under its preload library, and it is this process that sends them.
#
# Line protocol. Commands on stdin, one per line, words split like a POSIX
# shell (shlex). Every command gets exactly one reply line on stdout,
# "ok ..." or "error ...". At start the lab prints "ready UMOCKDEV_DIR".
#
#   add NAME [--bind]      load FIXTURES/NAME.umockdev (or NAME, if it contains
#                          a '/'), emitting 'add' for each record in file order
#                          (device, then its interfaces: the kernel's order).
#                          --bind also emits the 'bind' events a real kernel
#                          sends once drivers have probed (post-order).
#                          -> ok added NAME DEVPATH EVENTS
#   remove NAME [--bind]   'remove' for everything below the device, children
#                          first (child devices behind a hub, then interfaces,
#                          then the device), then delete it from the testbed.
#                          --bind puts 'unbind' before each bound device's
#                          'remove'. Devices from other files that sat below it
#                          (a keyboard behind a hub) count as unplugged too.
#                          -> ok removed NAME EVENTS [ALSO...]
#   spawn [--out FILE] [--cwd DIR] [--env K=V]... -- PROGRAM ARGS...
#                          start PROGRAM inside this world (LD_PRELOAD and
#                          UMOCKDEV_DIR set); stdout+stderr to FILE, else to
#                          the lab's stderr (never to the protocol stream).
#                          -> ok pid N
#   status PID             -> ok running | ok exited CODE   (-N: killed by signal N)
#   kill PID               SIGTERM, SIGKILL after 3 s; only PIDs this lab spawned.
#                          -> ok killed PID CODE
#   list                   -> ok NAME...   (plugged fixtures)
#   quit                   stop every spawned process by PID, delete the
#                          testbed, reply "ok bye", exit 0. EOF on stdin and
#                          SIGTERM do the same without the reply.

import gc
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time

import gi

gi.require_version('UMockdev', '1.0')
from gi.repository import UMockdev  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_FIXTURES = os.path.normpath(os.path.join(HERE, '..', '..', 'fixtures', 'usb'))
PRELOAD = 'libumockdev-preload.so.0'

# umockdev names a listener's socket $UMOCKDEV_DIR/event<fd>, unlinking any
# socket of that name first: two processes whose netlink socket got the same fd
# number would steal each other's events. Each spawned process therefore starts
# with a different number of /dev/null descriptors held open, which shifts the
# numbers of the sockets it opens.
FD_STEP = 32
FD_SLOTS = 24


class LabError(Exception):
    pass


def parse_records(text, origin):
    """Split a .umockdev text into records: (devpath, properties dict, raw text)."""
    records = []
    for chunk in re.split(r'\n\s*\n', text.strip('\n')):
        lines = chunk.split('\n')
        if not lines[0].startswith('P: /devices/'):
            raise LabError('%s: record does not start with "P: /devices/...": %r' % (origin, lines[0]))
        props = {}
        for line in lines[1:]:
            if line.startswith('E: ') and '=' in line:
                key, _, value = line[3:].partition('=')
                props[key] = value
        records.append((lines[0][3:], props, chunk + '\n'))
    return records


class Lab:
    def __init__(self, fixtures):
        self.fixtures = fixtures
        self.testbed = UMockdev.Testbed.new()
        self.root = self.testbed.get_root_dir()
        self.plugged = {}  # name -> [(devpath, props)] in file order
        self.children = {}  # pid -> Popen
        self.spawned = 0

    # ---- devices -------------------------------------------------------

    def real(self, devpath):
        return self.root + '/sys' + devpath

    def is_device(self, devpath):
        return os.path.isfile(self.real(devpath) + '/uevent')

    def uevent(self, devpath, action):
        self.testbed.uevent('/sys' + devpath, action)

    def fixture_path(self, name):
        if '/' in name:
            return name
        if not re.fullmatch(r'[A-Za-z0-9._-]+', name):
            raise LabError('bad fixture name %r' % name)
        return os.path.join(self.fixtures, name + '.umockdev')

    def provider_of(self, devpath):
        """The fixture that describes devpath, to name it in errors."""
        try:
            names = sorted(os.listdir(self.fixtures))
        except OSError:
            return None
        for entry in names:
            if entry.endswith('.umockdev'):
                with open(os.path.join(self.fixtures, entry)) as f:
                    if any(line.rstrip('\n') == 'P: ' + devpath for line in f):
                        return entry[: -len('.umockdev')]
        return None

    def add(self, args):
        bind = '--bind' in args
        rest = [a for a in args if a != '--bind']
        if len(rest) != 1:
            raise LabError('usage: add NAME [--bind]')
        path = self.fixture_path(rest[0])
        name = os.path.basename(path)[: -len('.umockdev')] if path.endswith('.umockdev') else os.path.basename(path)
        if name in self.plugged:
            raise LabError('%s is already plugged' % name)
        try:
            with open(path) as f:
                text = f.read()
        except OSError as e:
            raise LabError('cannot read %s: %s' % (path, e.strerror))
        records = parse_records(text, path)
        # umockdev aborts the whole process on a duplicate device or a missing
        # SUBSYSTEM, so check everything first.
        known = set()
        for devpath, props, _ in records:
            if 'SUBSYSTEM' not in props:
                raise LabError('%s: %s has no E: SUBSYSTEM line' % (path, devpath))
            if self.is_device(devpath):
                raise LabError('%s already exists in the testbed' % devpath)
            parent = os.path.dirname(devpath)
            if parent.count('/') >= 3 and parent not in known and not self.is_device(parent):
                provider = self.provider_of(parent)
                hint = ' (add %s first)' % provider if provider else ''
                raise LabError('parent %s of %s is not plugged%s' % (parent, devpath, hint))
            known.add(devpath)

        events = 0
        if not bind:
            self.testbed.add_from_string(text)  # emits 'add' per record, in order
            events = len(records)
        else:
            stack = []  # devices whose 'bind' is still due, innermost last

            def settle(until):
                nonlocal events
                while stack and not until.startswith(stack[-1][0] + '/'):
                    devpath, props = stack.pop()
                    if 'DRIVER' in props:
                        self.uevent(devpath, 'bind')
                        events += 1

            for devpath, props, raw in records:
                settle(devpath)
                self.testbed.add_from_string(raw)
                events += 1
                stack.append((devpath, props))
            settle('')
        self.plugged[name] = [(devpath, props) for devpath, props, _ in records]
        return 'added %s %s %d' % (name, records[0][0], events)

    def removal_order(self, devpath):
        """Post-order over the device tree below devpath, as the kernel tears it down:
        child USB devices (behind a hub) first, then interfaces, then the device."""
        real = self.real(devpath)
        subdirs = []
        for entry in sorted(os.listdir(real)):
            full = os.path.join(real, entry)
            if os.path.isdir(full) and not os.path.islink(full):
                subdirs.append(entry)
        # usb_device children (1-1.2) before interfaces (1-1:1.0); others last
        subdirs.sort(key=lambda e: (0 if re.fullmatch(r'\d+-[\d.]+', e) else 1 if ':' in e else 2, e))
        order = []
        for entry in subdirs:
            child = devpath + '/' + entry
            order += self.removal_order(child)
        if self.is_device(devpath):
            order.append(devpath)
        return order

    def delete_device(self, devpath):
        """Undo what umockdev's add_device created for one device (not its directory).
        (Done here rather than with Testbed.remove_device(), which from umockdev
        0.18.4 on sends its own 'remove' uevents, in directory order.)"""
        real = self.real(devpath)
        name = os.path.basename(devpath)
        props = {}
        try:
            with open(real + '/uevent') as f:
                for line in f:
                    key, _, value = line.rstrip('\n').partition('=')
                    props[key] = value
        except OSError:
            pass
        try:
            with open(real + '/dev') as f:
                majmin = f.read().strip()
            kind = 'block' if '/block/' in devpath else 'char'
            _unlink(os.path.join(self.root, 'sys', 'dev', kind, majmin))
        except OSError:
            pass
        devname = props.get('DEVNAME')
        if devname:
            devname = devname[5:] if devname.startswith('/dev/') else devname
            _unlink(os.path.join(self.root, 'dev', devname))
            _unlink(os.path.join(self.root, 'dev', '.node', devname.replace('/', '_')))
            parent = os.path.dirname(os.path.join(self.root, 'dev', devname))
            while parent != os.path.join(self.root, 'dev'):
                try:
                    os.rmdir(parent)
                except OSError:
                    break
                parent = os.path.dirname(parent)
        try:
            target = os.readlink(real + '/subsystem')
        except OSError:
            target = ''
        subsystem = os.path.basename(target)
        if subsystem:
            if '/bus/' in target:
                _unlink(os.path.join(self.root, 'sys', 'bus', subsystem, 'devices', name))
            else:
                _unlink(os.path.join(self.root, 'sys', 'class', subsystem, name))

    def remove(self, args):
        bind = '--bind' in args
        rest = [a for a in args if a != '--bind']
        if len(rest) != 1:
            raise LabError('usage: remove NAME [--bind]')
        name = rest[0]
        if name not in self.plugged:
            raise LabError('%s is not plugged' % name)
        top = self.plugged[name][0][0]
        order = self.removal_order(top)
        events = 0
        for devpath in order:  # uevents need the device still in sysfs
            if bind and os.path.islink(self.real(devpath) + '/driver'):
                self.uevent(devpath, 'unbind')
                events += 1
            self.uevent(devpath, 'remove')
            events += 1
        for devpath in order:
            self.delete_device(devpath)
        shutil.rmtree(self.real(top), ignore_errors=True)
        also = []
        for other, devices in list(self.plugged.items()):
            if not self.is_device(devices[0][0]):
                del self.plugged[other]
                if other != name:
                    also.append(other)
        return ' '.join(['removed', name, str(events)] + sorted(also))

    # ---- processes -----------------------------------------------------

    def spawn(self, args):
        out = None
        cwd = None
        extra = {}
        while args and args[0] != '--':
            opt = args.pop(0)
            if opt in ('--out', '--cwd', '--env') and args:
                value = args.pop(0)
                if opt == '--out':
                    out = value
                elif opt == '--cwd':
                    cwd = value
                else:
                    key, eq, val = value.partition('=')
                    if not eq or not key:
                        raise LabError('--env wants KEY=VALUE, got %r' % value)
                    extra[key] = val
            else:
                raise LabError('usage: spawn [--out FILE] [--cwd DIR] [--env K=V]... -- PROGRAM ARGS...')
        if not args or len(args) < 2:
            raise LabError('usage: spawn [--out FILE] [--cwd DIR] [--env K=V]... -- PROGRAM ARGS...')
        argv = args[1:]
        env = dict(os.environ)
        env.update(extra)
        env['UMOCKDEV_DIR'] = self.root  # GLib's setenv does not show in os.environ
        preload = env.get('LD_PRELOAD', '')
        if PRELOAD not in preload.split(':'):
            env['LD_PRELOAD'] = PRELOAD + (':' + preload if preload else '')
        reserve = FD_STEP * (self.spawned % FD_SLOTS)
        self.spawned += 1
        # bash (not dash) takes multi-digit descriptors in redirections
        script = 'for ((i = 3; i < %d; i++)); do eval "exec $i</dev/null"; done; exec "$@"' % (3 + reserve)
        stream = open(out, 'ab') if out else sys.stderr
        try:
            child = subprocess.Popen(
                ['/bin/bash', '-c', script, 'lab-spawn'] + argv,
                stdin=subprocess.DEVNULL,
                stdout=stream,
                stderr=stream,
                cwd=cwd,
                env=env,
            )
        except OSError as e:
            raise LabError('cannot start %s: %s' % (argv[0], e.strerror))
        finally:
            if out:
                stream.close()
        self.children[child.pid] = child
        return 'pid %d' % child.pid

    def child(self, args):
        if len(args) != 1 or not args[0].isdigit():
            raise LabError('wants one PID')
        pid = int(args[0])
        if pid not in self.children:
            raise LabError('%d was not spawned by this lab' % pid)
        return self.children[pid]

    def status(self, args):
        code = self.child(args).poll()
        return 'running' if code is None else 'exited %d' % code

    def stop_child(self, child):
        if child.poll() is None:
            try:
                os.kill(child.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                child.wait(timeout=3)
            except subprocess.TimeoutExpired:
                os.kill(child.pid, signal.SIGKILL)
                child.wait()
        return child.returncode

    def kill(self, args):
        child = self.child(args)
        return 'killed %d %d' % (child.pid, self.stop_child(child))

    def list(self, args):
        return ' '.join(sorted(self.plugged))

    def shutdown(self):
        for pid in sorted(self.children, reverse=True):
            self.stop_child(self.children[pid])
        self.children.clear()
        # The testbed deletes its directory when finalised, and aborts the
        # process if the directory is already gone: let it, then make sure.
        if self.testbed is not None:
            self.testbed = None
            gc.collect()
        shutil.rmtree(self.root, ignore_errors=True)


def _unlink(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def main():
    argv = sys.argv[1:]
    fixtures = DEFAULT_FIXTURES
    if len(argv) == 2 and argv[0] == '--fixtures':
        fixtures = os.path.abspath(argv[1])
    elif argv:
        print('usage: umockdev-wrapper /usr/bin/python3 lab.py [--fixtures DIR]', file=sys.stderr)
        return 2
    # Only ask once the testbed exists: umockdev caches the answer, and before
    # that /sys is still the real one, so an early "no" would stick and
    # silently turn off the 'add' uevents of add_from_string().
    lab = Lab(fixtures)
    if not UMockdev.in_mock_environment():
        lab.shutdown()
        print('error lab.py must run under umockdev-wrapper (no uevents otherwise)', flush=True)
        return 2

    def on_term(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, on_term)
    commands = {
        'add': lab.add,
        'remove': lab.remove,
        'spawn': lab.spawn,
        'status': lab.status,
        'kill': lab.kill,
        'list': lab.list,
    }
    try:
        print('ready %s' % lab.root, flush=True)
        for line in sys.stdin:
            try:
                words = shlex.split(line)
            except ValueError as e:
                print('error cannot parse command: %s' % e, flush=True)
                continue
            if not words:
                continue
            if words[0] == 'quit':
                lab.shutdown()
                print('ok bye', flush=True)
                return 0
            handler = commands.get(words[0])
            if handler is None:
                print('error unknown command %s' % words[0], flush=True)
                continue
            try:
                started = time.monotonic()
                reply = handler(words[1:])
                if os.environ.get('USB_LAB_TIMING'):
                    print('lab: %s took %.1f ms' % (words[0], (time.monotonic() - started) * 1000), file=sys.stderr)
                print(('ok ' + reply).rstrip(), flush=True)
            except LabError as e:
                print('error %s' % e, flush=True)
            except Exception as e:  # report, keep serving
                print('error %s: %s' % (type(e).__name__, str(e).replace('\n', ' ')), flush=True)
    finally:
        lab.shutdown()
    return 0


if __name__ == '__main__':
    sys.exit(main())
