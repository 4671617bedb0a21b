'''What dbusmock's logind template lacks or gets wrong, done like systemd-logind.

test/support/logind-mock.ts installs these as D-Bus methods through the mock's
own org.freedesktop.DBus.Mock.AddMethods, with code strings that call the
functions below (the mock runs with this directory on PYTHONPATH). They follow
systemd's src/login/logind-dbus.c and friends:

- object paths are escaped like sd_bus_path_encode(): session "2" lives at
  /org/freedesktop/login1/session/_32, user 1000 at .../user/_1000;
- Get{Seat,Session,User} refuse unknown names (NoSuchSeat, NoSuchSession,
  NoSuchUser) instead of making a path up; "self"/"auto"/"" mean the caller's
  session, which these Manager methods cannot tell (a mock method is not
  given its caller), so they answer NoSessionForPID;
- the objects /org/freedesktop/login1/session/self and .../session/auto are
  the caller's session, found as logind's session_object_find() finds it
  (GNOME Shell 45+ without XDG_SESSION_ID reads session/auto's Id): the
  session of the caller's PID, and for "auto", when it has none, its user's
  display session (User.Display); else NoSessionForPID;
- GetSessionByPID answers from a pid -> session map (the session leader is in
  it), else NoSessionForPID;
- AttachDevice checks its arguments as logind does (a normalized path under
  /sys, a valid seat name; the seat need not exist, that is how seats are
  made) and records what it was asked;
- seats, sessions and users come and go with SeatNew/SeatRemoved,
  SessionNew/SessionRemoved, UserNew/UserRemoved, and PropertiesChanged only
  for properties that logind marks as emitting it (Seat.ActiveSession,
  Session.Active; not Seat.Sessions).
'''

import time

import dbus
import dbus.service
from dbusmock import mockobject

PATH = '/org/freedesktop/login1'
MANAGER = 'org.freedesktop.login1.Manager'
SEAT = 'org.freedesktop.login1.Seat'
SESSION = 'org.freedesktop.login1.Session'
USER = 'org.freedesktop.login1.User'
ERROR = 'org.freedesktop.login1.'
INVALID_ARGS = 'org.freedesktop.DBus.Error.InvalidArgs'
NO_OBJECT = (dbus.String(''), dbus.ObjectPath('/'))

_pids = {}  # pid -> session id
_attached = []  # (seat, sysfs path, interactive), in call order
_refused = {}  # sysfs path -> (error name, message)


def _escape(label):
    '''sd_bus_path_encode()'s label escaping (bus_label_escape in systemd).'''
    if not label:
        return '_'
    out = []
    for i, char in enumerate(label):
        if ('a' <= char <= 'z') or ('A' <= char <= 'Z') or (i > 0 and '0' <= char <= '9'):
            out.append(char)
        else:
            out.extend(f'_{byte:02x}' for byte in char.encode('utf-8'))
    return ''.join(out)


def seat_path(seat_id):
    return dbus.ObjectPath(f'{PATH}/seat/{_escape(seat_id)}')


def session_path(session_id):
    return dbus.ObjectPath(f'{PATH}/session/{_escape(session_id)}')


def user_path(uid):
    return dbus.ObjectPath(f'{PATH}/user/_{int(uid)}')


def _error(name, text):
    return dbus.exceptions.DBusException(text, name=name)


def _manager():
    return mockobject.objects[PATH]


def _of(interface):
    return [obj for obj in mockobject.objects.values() if interface in obj.props]


def _seat(seat_id):
    obj = mockobject.objects.get(seat_path(seat_id))
    if obj is None or SEAT not in obj.props:
        raise _error(ERROR + 'NoSuchSeat', f"No seat '{seat_id}' known")
    return obj


def _session(session_id):
    obj = mockobject.objects.get(session_path(session_id))
    if obj is None or SESSION not in obj.props:
        raise _error(ERROR + 'NoSuchSession', f"No session '{session_id}' known")
    return obj


def _user(uid):
    obj = mockobject.objects.get(user_path(uid))
    if obj is None or USER not in obj.props:
        raise _error(ERROR + 'NoSuchUser', f'User ID {int(uid)} is not logged in or lingering')
    return obj


def _no_caller_session(name):
    if name == 'auto':
        return _error(ERROR + 'NoSessionForPID',
                      "Caller does not belong to any known session and doesn't own any suitable session.")
    return _error(ERROR + 'NoSessionForPID', 'Caller does not belong to any known session.')


def _changed(obj, interface, values):
    '''Sets properties and sends PropertiesChanged for them, as sd-bus does.

    (The mock's UpdateProperties cannot wrap a struct such as (so) in a variant.)
    '''
    for name, value in values.items():
        obj.props[interface][name] = value
    obj.EmitSignal(dbus.PROPERTIES_IFACE, 'PropertiesChanged', 'sa{sv}as',
                   [interface, dbus.Dictionary(values, signature='sv'), dbus.Array([], signature='s')])


def _usec(clock):
    return dbus.UInt64(int(time.clock_gettime(clock) * 1_000_000))


# org.freedesktop.login1.Manager

def get_seat(name):
    if name in ('', 'self', 'auto'):
        raise _no_caller_session(name)
    return _seat(name).path


def get_session(name):
    if name in ('', 'self', 'auto'):
        raise _no_caller_session(name)
    return _session(name).path


def get_user(uid):
    return _user(uid).path


def get_session_by_pid(pid):
    if pid == 0:
        raise _no_caller_session('self')
    session_id = _pids.get(int(pid))
    if session_id is None or session_path(session_id) not in mockobject.objects:
        raise _error(ERROR + 'NoSessionForPID', f'PID {int(pid)} does not belong to any known session')
    return session_path(session_id)


def get_user_by_pid(pid):
    if pid == 0:
        raise _error(ERROR + 'NoUserForPID', 'Caller does not belong to any logged in or lingering user')
    session_id = _pids.get(int(pid))
    if session_id is None or session_path(session_id) not in mockobject.objects:
        raise _error(ERROR + 'NoUserForPID',
                     f'PID {int(pid)} does not belong to any logged in user or lingering user')
    return _session(session_id).props[SESSION]['User'][1]


def list_seats():
    return [(obj.props[SEAT]['Id'], obj.path) for obj in _of(SEAT)]


def list_sessions():
    out = []
    for obj in _of(SESSION):
        props = obj.props[SESSION]
        out.append((props['Id'], props['User'][0], props['Name'], props['Seat'][0], obj.path))
    return out


def list_users():
    return [(obj.props[USER]['UID'], obj.props[USER]['Name'], obj.path) for obj in _of(USER)]


def _seat_name_is_valid(name):
    rest = name[4:]
    return (name.startswith('seat') and rest != '' and len(name) <= 255
            and all(c.isascii() and (c.isalnum() or c in '-_') for c in name))


def attach_device(seat_id, sysfs, interactive):
    parts = sysfs.split('/')
    if not sysfs or '//' in sysfs or '.' in parts or '..' in parts:
        raise _error(INVALID_ARGS, f'Path {sysfs} is not normalized')
    if sysfs != '/sys' and not sysfs.startswith('/sys/'):
        raise _error(INVALID_ARGS, f'Path {sysfs} is not in /sys')
    if seat_id in ('', 'self', 'auto'):
        raise _no_caller_session(seat_id)
    # A seat does not have to exist yet: attaching a master device is how one is made.
    if not _seat_name_is_valid(seat_id):
        raise _error(INVALID_ARGS, f'Seat name {seat_id} is not valid')
    if sysfs in _refused:
        name, text = _refused[sysfs]
        raise _error(name, text)
    _attached.append((dbus.String(seat_id), dbus.String(sysfs), dbus.Boolean(interactive)))


def activate_session(session_id):
    session = _session(session_id)
    seat_id = session.props[SESSION]['Seat'][0]
    if not seat_id:
        raise _error('org.freedesktop.DBus.Error.NotSupported', 'Operation not supported')
    _activate(_seat(seat_id), session)


def activate_session_on_seat(session_id, seat_id):
    session = _session(session_id)
    seat = _seat(seat_id)
    if session.props[SESSION]['Seat'][0] != seat_id:
        raise _error(ERROR + 'SessionNotOnSeat', f"Session {session_id} not on seat {seat_id}")
    _activate(seat, session)


def _activate(seat, session):
    previous = seat.props[SEAT]['ActiveSession'][1]
    if previous == session.path:
        return
    if previous in mockobject.objects:
        old = mockobject.objects[previous]
        old.props[SESSION]['State'] = dbus.String('online')
        _changed(old, SESSION, {'Active': dbus.Boolean(False)})
    session.props[SESSION]['State'] = dbus.String('active')
    _changed(session, SESSION, {'Active': dbus.Boolean(True)})
    _changed(seat, SEAT, {'ActiveSession': dbus.Struct(
        (session.props[SESSION]['Id'], session.path), signature='so')})


# org.freedesktop.DBus.Mock controls used by logind-mock.ts

def add_seat(seat_id, can_graphical):
    if not _seat_name_is_valid(seat_id):
        raise _error(INVALID_ARGS, f'Seat name {seat_id} is not valid')
    path = seat_path(seat_id)
    if path in mockobject.objects:
        raise _error(mockobject.MOCK_IFACE + '.SeatExists', f'Seat {seat_id} already exists')
    manager = _manager()
    code = 'import logind_extras; logind_extras.'
    manager.AddObject(path, SEAT, {
        'Id': dbus.String(seat_id),
        'ActiveSession': dbus.Struct(NO_OBJECT, signature='so'),
        'CanMultiSession': dbus.Boolean(True),
        'CanTTY': dbus.Boolean(seat_id == 'seat0'),
        'CanGraphical': dbus.Boolean(can_graphical),
        'Sessions': dbus.Array([], signature='(so)'),
        'IdleHint': dbus.Boolean(False),
        'IdleSinceHint': dbus.UInt64(0),
        'IdleSinceHintMonotonic': dbus.UInt64(0),
    }, [
        ('Terminate', '', '', code + 'remove_seat(self.props["%s"]["Id"])' % SEAT),
        ('ActivateSession', 's', '', code + 'activate_session_on_seat(args[0], self.props["%s"]["Id"])' % SEAT),
        ('SwitchTo', 'u', '', ''),
        ('SwitchToNext', '', '', ''),
        ('SwitchToPrevious', '', '', ''),
    ])
    manager.EmitSignal(MANAGER, 'SeatNew', 'so', [seat_id, path])
    return path


def remove_seat(seat_id):
    seat = _seat(seat_id)
    # logind stops a seat's sessions before the seat itself.
    for session_id, _ in list(seat.props[SEAT]['Sessions']):
        remove_session(session_id)
    manager = _manager()
    manager.RemoveObject(seat.path)
    manager.EmitSignal(MANAGER, 'SeatRemoved', 'so', [seat_id, seat.path])


def _add_user(uid, name):
    path = user_path(uid)
    if path in mockobject.objects:
        return mockobject.objects[path]
    manager = _manager()
    manager.AddObject(path, USER, {
        'UID': dbus.UInt32(uid),
        'GID': dbus.UInt32(uid),
        'Name': dbus.String(name),
        'Timestamp': _usec(time.CLOCK_REALTIME),
        'TimestampMonotonic': _usec(time.CLOCK_MONOTONIC),
        'RuntimePath': dbus.String(f'/run/user/{int(uid)}'),
        'Service': dbus.String(f'user@{int(uid)}.service'),
        'Slice': dbus.String(f'user-{int(uid)}.slice'),
        'Display': dbus.Struct(NO_OBJECT, signature='so'),
        'State': dbus.String('active'),
        'Sessions': dbus.Array([], signature='(so)'),
        'IdleHint': dbus.Boolean(False),
        'IdleSinceHint': dbus.UInt64(0),
        'IdleSinceHintMonotonic': dbus.UInt64(0),
        'Linger': dbus.Boolean(False),
    }, [
        ('Terminate', '', '', ''),
        ('Kill', 'i', '', ''),
    ])
    manager.EmitSignal(MANAGER, 'UserNew', 'uo', [dbus.UInt32(uid), path])
    return mockobject.objects[path]


def add_session(session_id, seat_id, uid, name, leader, extra):
    path = session_path(session_id)
    if not session_id or session_id in ('self', 'auto') or path in mockobject.objects:
        raise _error(mockobject.MOCK_IFACE + '.SessionExists', f'Session {session_id!r} exists or is not valid')
    seat = _seat(seat_id) if seat_id else None
    user = _add_user(uid, name)
    props = {
        'Id': dbus.String(session_id),
        'User': dbus.Struct((dbus.UInt32(uid), user.path), signature='uo'),
        'Name': dbus.String(name),
        'Timestamp': _usec(time.CLOCK_REALTIME),
        'TimestampMonotonic': _usec(time.CLOCK_MONOTONIC),
        'VTNr': dbus.UInt32(0),
        'Seat': dbus.Struct((dbus.String(seat_id), seat.path if seat else dbus.ObjectPath('/')), signature='so'),
        'TTY': dbus.String(''),
        'Display': dbus.String(''),
        'Remote': dbus.Boolean(False),
        'RemoteHost': dbus.String(''),
        'RemoteUser': dbus.String(''),
        'Service': dbus.String('gdm-password'),
        'Desktop': dbus.String(''),
        'Scope': dbus.String(f'session-{session_id}.scope'),
        'Leader': dbus.UInt32(leader),
        'Audit': dbus.UInt32(0),
        'Type': dbus.String('wayland' if seat else 'unspecified'),
        'Class': dbus.String('user' if seat else 'background'),
        'Active': dbus.Boolean(False),
        'State': dbus.String('online'),
        'IdleHint': dbus.Boolean(False),
        'IdleSinceHint': dbus.UInt64(0),
        'IdleSinceHintMonotonic': dbus.UInt64(0),
        'CanIdle': dbus.Boolean(True),
        'CanLock': dbus.Boolean(True),
        'LockedHint': dbus.Boolean(False),
    }
    active = bool(seat)
    for key, value in extra.items():
        if key == 'Active':
            active = bool(value) and bool(seat)
        elif key in props and key not in ('Id', 'User', 'Name', 'Seat', 'Leader', 'State', 'Scope'):
            props[key] = type(props[key])(value)
        else:
            raise _error(INVALID_ARGS, f'cannot set session property {key}')
    manager = _manager()
    code = 'import logind_extras; logind_extras.'
    sid = 'self.props["%s"]["Id"]' % SESSION
    manager.AddObject(path, SESSION, props, [
        ('Terminate', '', '', code + f'remove_session({sid})'),
        ('Activate', '', '', code + f'activate_session({sid})'),
        ('Lock', '', '', 'self.EmitSignal("", "Lock", "", [])'),
        ('Unlock', '', '', 'self.EmitSignal("", "Unlock", "", [])'),
        ('SetIdleHint', 'b', '', ''),
        ('SetLockedHint', 'b', '', code + 'set_locked_hint(self, args[0])'),
        ('Kill', 'si', '', ''),
        ('TakeControl', 'b', '', ''),
        ('ReleaseControl', '', '', ''),
    ])
    session = mockobject.objects[path]
    entry = dbus.Struct((dbus.String(session_id), path), signature='so')
    if seat:
        seat.props[SEAT]['Sessions'] = dbus.Array([*seat.props[SEAT]['Sessions'], entry], signature='(so)')
    user.props[USER]['Sessions'] = dbus.Array([*user.props[USER]['Sessions'], entry], signature='(so)')
    if user.props[USER]['Display'][1] == '/' and seat:
        _changed(user, USER, {'Display': entry})
    if leader:
        _pids[int(leader)] = str(session_id)
    if seat and active:
        _activate(seat, session)
    manager.EmitSignal(MANAGER, 'SessionNew', 'so', [session_id, path])
    return path


def remove_session(session_id):
    session = _session(session_id)
    props = session.props[SESSION]
    path = session.path
    manager = _manager()
    seat_id = props['Seat'][0]
    if seat_id and seat_path(seat_id) in mockobject.objects:
        seat = mockobject.objects[seat_path(seat_id)]
        seat.props[SEAT]['Sessions'] = dbus.Array(
            [e for e in seat.props[SEAT]['Sessions'] if e[1] != path], signature='(so)')
        if seat.props[SEAT]['ActiveSession'][1] == path:
            _changed(seat, SEAT, {'ActiveSession': dbus.Struct(NO_OBJECT, signature='so')})
    for pid in [p for p, s in _pids.items() if s == session_id]:
        del _pids[pid]
    manager.RemoveObject(path)
    manager.EmitSignal(MANAGER, 'SessionRemoved', 'so', [session_id, path])

    user = mockobject.objects.get(props['User'][1])
    if user is not None:
        left = [e for e in user.props[USER]['Sessions'] if e[1] != path]
        user.props[USER]['Sessions'] = dbus.Array(left, signature='(so)')
        if user.props[USER]['Display'][1] == path:
            _changed(user, USER, {'Display': dbus.Struct(NO_OBJECT, signature='so')})
        if not left:
            manager.RemoveObject(user.path)
            manager.EmitSignal(MANAGER, 'UserRemoved', 'uo', [user.props[USER]['UID'], user.path])


def set_locked_hint(session, value):
    _changed(session, SESSION, {'LockedHint': dbus.Boolean(value)})


class CallerSession(dbus.service.Object):
    '''session/self or session/auto: whichever session the caller has, per call.

    Its properties are that session's (Get, GetAll), as sd-bus answers them
    on such a path; signals stay on the session's own path, as logind's do.
    '''

    # dbusmock replaces dbus-python's method lookup with one that reads these
    # first (its own objects' methods); none here, so it falls back to ours.
    methods = {}
    interface = SESSION

    def __init__(self, connection, name):
        super().__init__(connection, f'{PATH}/session/{name}')
        self._name = name

    def _target(self, sender):
        creds = self.connection.call_blocking('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus',
                                              'GetConnectionCredentials', 's', [sender])
        session_id = _pids.get(int(creds['ProcessID']))
        if session_id is not None and session_path(session_id) in mockobject.objects:
            return mockobject.objects[session_path(session_id)]
        if self._name == 'auto':
            user = mockobject.objects.get(user_path(int(creds['UnixUserID'])))
            display = user.props[USER]['Display'][1] if user is not None else '/'
            if display in mockobject.objects:
                return mockobject.objects[display]
        raise _no_caller_session(self._name)

    @dbus.service.method(dbus.PROPERTIES_IFACE, in_signature='ss', out_signature='v', sender_keyword='sender')
    def Get(self, interface, name, sender=None):
        props = self._target(sender).props.get(interface, {})
        if name not in props:
            raise _error(INVALID_ARGS, f'No such property {name}')
        return props[name]

    @dbus.service.method(dbus.PROPERTIES_IFACE, in_signature='s', out_signature='a{sv}', sender_keyword='sender')
    def GetAll(self, interface, sender=None):
        return dbus.Dictionary(self._target(sender).props.get(interface, {}), signature='sv')


_caller_objects = []


def serve_caller_objects():
    '''Puts session/self and session/auto on the mock's connection (once).'''
    if not _caller_objects:
        connection = _manager().connection
        _caller_objects.extend(CallerSession(connection, name) for name in ('self', 'auto'))


def bind_pid(pid, session_id):
    _session(session_id)
    _pids[int(pid)] = str(session_id)


def unbind_pid(pid):
    _pids.pop(int(pid), None)


def attached_devices():
    return dbus.Array(_attached, signature='(ssb)')


def refuse_device(sysfs, name, text):
    if name:
        _refused[str(sysfs)] = (str(name), str(text))
    else:
        _refused.pop(str(sysfs), None)


# What the mock is given over the bus (org.freedesktop.DBus.Mock.AddMethods):
# the Manager methods the template lacks or gets wrong, with the real names
# and signatures, and the test controls; each calls its namesake above.
MANAGER_METHODS = [
    ('GetSeat', 's', 'o', 'get_seat'),
    ('GetSession', 's', 'o', 'get_session'),
    ('GetUser', 'u', 'o', 'get_user'),
    ('GetSessionByPID', 'u', 'o', 'get_session_by_pid'),
    ('GetUserByPID', 'u', 'o', 'get_user_by_pid'),
    ('ListSeats', '', 'a(so)', 'list_seats'),
    ('ListSessions', '', 'a(susso)', 'list_sessions'),
    ('ListUsers', '', 'a(uso)', 'list_users'),
    ('AttachDevice', 'ssb', '', 'attach_device'),
    ('ActivateSession', 's', '', 'activate_session'),
    ('ActivateSessionOnSeat', 'ss', '', 'activate_session_on_seat'),
    ('TerminateSession', 's', '', 'remove_session'),
    ('TerminateSeat', 's', '', 'remove_seat'),
]
CONTROL_METHODS = [
    ('PhylloAddSeat', 'sb', 'o', 'add_seat'),
    ('PhylloRemoveSeat', 's', '', 'remove_seat'),
    ('PhylloAddSession', 'ssusua{sv}', 'o', 'add_session'),
    ('PhylloRemoveSession', 's', '', 'remove_session'),
    ('PhylloBindPid', 'us', '', 'bind_pid'),
    ('PhylloUnbindPid', 'u', '', 'unbind_pid'),
    ('PhylloAttachedDevices', '', 'a(ssb)', 'attached_devices'),
    ('PhylloRefuseDevice', 'sss', '', 'refuse_device'),
    ('PhylloServeCallerObjects', '', '', 'serve_caller_objects'),
]


def complete(bus):
    '''Gives a running logind mock on `bus` the methods above.

    The mock's main loop starts after its template is loaded, so these replace
    the template's versions rather than being replaced by them.
    '''
    def entries(table):
        return [(name, sig_in, sig_out, f"import logind_extras; {'ret = ' if sig_out else ''}logind_extras.{fn}(*args)")
                for name, sig_in, sig_out, fn in table]
    mock = bus.get_object('org.freedesktop.login1', PATH)
    mock.AddMethods(MANAGER, entries(MANAGER_METHODS), dbus_interface=mockobject.MOCK_IFACE)
    mock.AddMethods(mockobject.MOCK_IFACE, entries(CONTROL_METHODS), dbus_interface=mockobject.MOCK_IFACE)
    mock.PhylloServeCallerObjects(dbus_interface=mockobject.MOCK_IFACE)


def login(bus, seat_id, uid, name):
    '''A graphical login as GNOME 45+ makes it, on a host with seat0 (and seat_id).

    The session c1 of uid on seat_id is active and is its user's Display; no
    process is bound to it, so logind answers NoSessionForPID for the Shell
    (a systemd user unit) and for everything else of the user: each is placed
    by User.Display, as mutter and polkit place them.
    '''
    control = bus.get_object('org.freedesktop.login1', PATH)
    for seat in dict.fromkeys(['seat0', seat_id]):
        control.PhylloAddSeat(seat, True, dbus_interface=mockobject.MOCK_IFACE)
    control.PhylloAddSession('c1', seat_id, dbus.UInt32(uid), name, dbus.UInt32(0),
                             dbus.Dictionary({}, signature='sv'), dbus_interface=mockobject.MOCK_IFACE)


if __name__ == '__main__':
    # python3 logind_extras.py complete             (DBUS_SYSTEM_BUS_ADDRESS: the mock's bus)
    # python3 logind_extras.py login SEAT UID NAME  complete, then a login as GNOME makes it
    import sys
    system_bus = dbus.SystemBus()
    complete(system_bus)
    if sys.argv[1:2] == ['login']:
        login(system_bus, sys.argv[2], int(sys.argv[3]), sys.argv[4])
