'''polkitd that decides like the real one: by who asks, not a global yes or no.

A python-dbusmock template (python3 -m dbusmock --system --template THIS_FILE
--parameters '{"policies": [".../me.phyllo.switcher.policy"]}'), used by
test/support/logind-mock.ts. CheckAuthorization follows polkitd's
interactive authority (src/polkitbackend/polkitbackendinteractiveauthority.c):

- the subject is found as polkitd finds it: a system-bus-name through the
  bus (GetConnectionCredentials), a unix-process by its pid (and the uid it
  carries); only uid 0, the subject's own user or an owner of the action
  (its org.freedesktop.policykit.owner annotation, unix-user:NAME) may ask
  for a subject (NotAuthorized otherwise);
- its session is logind's (this bus's fake logind): the pid's session, else
  the user's display session (User.Display), as polkit does for a GNOME
  Shell run as a systemd user unit;
- the result is the first rule for the action and the subject's uid (as a
  polkit.addRule() for a user would give), else the action's defaults from
  its .policy file: allow_active for the active local session,
  allow_inactive for a local one in the background, allow_any otherwise;
- auth_self/auth_admin(_keep) is a challenge unless the caller allowed user
  interaction (flags & 1); then the authentication agent answers as the test
  said: 'yes' (the right password, kept for *_keep), 'no' (dismissed), or
  'none' (no agent registered);
- SimulateHang holds every answer until ReleaseHangingCalls.
'''

import pwd
import xml.etree.ElementTree as ET

import dbus
from dbusmock import MOCK_IFACE

BUS_NAME = 'org.freedesktop.PolicyKit1'
MAIN_OBJ = '/org/freedesktop/PolicyKit1/Authority'
MAIN_IFACE = 'org.freedesktop.PolicyKit1.Authority'
SYSTEM_BUS = True

LOGIND = 'org.freedesktop.login1'
RESULTS = ('no', 'yes', 'auth_self', 'auth_self_keep', 'auth_admin', 'auth_admin_keep')
ALLOW_USER_INTERACTION = 1


def load(mock, parameters):
    mock.AddProperties(MAIN_IFACE, dbus.Dictionary({
        'BackendName': 'interactive',
        'BackendVersion': '0.121',
        'BackendFeatures': dbus.UInt32(1, variant_level=1),
    }, signature='sv'))
    mock.defaults = {}
    mock.owners = {}  # action id -> uids that may ask about others' subjects
    for path in parameters.get('policies', []):
        _read_policy(mock.defaults, mock.owners, path)
    mock.rules = []  # (action id, uid, result), first match wins
    mock.agent = 'none'
    mock.kept = set()  # (action id, uid, session) authenticated by an *_keep result
    mock.simulate_hang = False
    mock.hanging_calls = []


def _read_policy(defaults, owners, path):
    for action in ET.parse(path).getroot().iter('action'):
        found = action.find('defaults')
        get = (lambda name: (found.findtext(name) or 'no').strip()) if found is not None else (lambda name: 'no')
        defaults[action.get('id')] = (get('allow_any'), get('allow_inactive'), get('allow_active'))
        for annotate in action.iter('annotate'):
            if annotate.get('key') == 'org.freedesktop.policykit.owner':
                owners[action.get('id')] = _owner_uids(annotate.text or '')


def _owner_uids(identities):
    '''The uids of "unix-user:NAME unix-user:UID…" (users this host lacks are left out, as polkitd warns).'''
    uids = set()
    for identity in identities.split():
        if not identity.startswith('unix-user:'):
            continue
        name = identity[len('unix-user:'):]
        try:
            uids.add(int(name) if name.isdigit() else pwd.getpwnam(name).pw_uid)
        except KeyError:
            pass
    return uids


def _error(name, text):
    return dbus.exceptions.DBusException(text, name='org.freedesktop.PolicyKit1.Error.' + name)


def _bus():
    return dbus.SystemBus()


def _credentials(name):
    creds = _bus().call_blocking('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus',
                                 'GetConnectionCredentials', 's', [name])
    return int(creds['UnixUserID']), int(creds['ProcessID'])


def _uid_of_pid(pid):
    with open(f'/proc/{int(pid)}/status', encoding='utf-8') as status:
        for row in status:
            if row.startswith('Uid:'):
                return int(row.split()[1])
    raise _error('Failed', f'No process {pid}')


def _subject(kind, details):
    '''(uid, pid) of a subject, found as polkitd finds it.'''
    if kind == 'system-bus-name':
        return _credentials(str(details['name']))
    if kind == 'unix-process':
        pid = int(details['pid'])
        uid = int(details['uid']) if 'uid' in details and int(details['uid']) >= 0 else _uid_of_pid(pid)
        return uid, pid
    raise _error('Failed', f'Unsupported subject kind {kind}')


def _session(uid, pid):
    '''(session id, active, local) of logind's session for the subject, or None.'''
    bus = _bus()
    manager = 'org.freedesktop.login1.Manager'
    try:
        path = bus.call_blocking(LOGIND, '/org/freedesktop/login1', manager, 'GetSessionByPID', 'u', [pid])
    except dbus.exceptions.DBusException:
        try:
            user = bus.call_blocking(LOGIND, '/org/freedesktop/login1', manager, 'GetUser', 'u', [uid])
            path = bus.call_blocking(LOGIND, user, dbus.PROPERTIES_IFACE, 'Get', 'ss',
                                     ['org.freedesktop.login1.User', 'Display'])[1]
        except dbus.exceptions.DBusException:
            return None
        if path == '/':
            return None
    props = bus.call_blocking(LOGIND, path, dbus.PROPERTIES_IFACE, 'GetAll', 's', ['org.freedesktop.login1.Session'])
    return str(props['Id']), bool(props['Active']), not bool(props['Remote'])


def _result(self, action_id, uid, session):
    for rule_action, rule_uid, result in self.rules:
        if rule_action == action_id and rule_uid == uid:
            return result
    if action_id not in self.defaults:
        return 'no'
    any_, inactive, active = self.defaults[action_id]
    if session is None or not session[2]:
        return any_
    return active if session[1] else inactive


def _decide(self, subject, action_id, flags, sender):
    kind, details = subject
    uid, pid = _subject(str(kind), details)
    caller_uid, _ = _credentials(sender)
    if caller_uid not in (0, uid) and caller_uid not in self.owners.get(action_id, set()):
        raise _error('NotAuthorized', 'Only trusted callers (e.g. uid 0 or an action owner) can use '
                     'CheckAuthorization() for subjects belonging to other identities')
    session = _session(uid, pid)
    result = _result(self, action_id, uid, session)
    key = (action_id, uid, session[0] if session else '')
    if result == 'yes' or key in self.kept:
        return (True, False, {})
    if result == 'no':
        return (False, False, {})
    if not flags & ALLOW_USER_INTERACTION:
        return (False, True, {})
    if self.agent == 'yes':
        if result.endswith('_keep'):
            self.kept.add(key)
        return (True, False, {})
    if self.agent == 'no':
        return (False, False, {'polkit.dismissed': 'true'})
    return (False, False, {})


@dbus.service.method(MAIN_IFACE, in_signature='(sa{sv})sa{ss}us', out_signature='(bba{ss})',
                     sender_keyword='sender', async_callbacks=('ok_cb', 'err_cb'))
def CheckAuthorization(self, subject, action_id, _details, flags, _cancellation_id, sender=None,
                       ok_cb=None, err_cb=None):
    try:
        ret = _decide(self, subject, str(action_id), int(flags), sender)
    except dbus.exceptions.DBusException as error:
        err_cb(error)
        return
    if self.simulate_hang:
        self.hanging_calls.append((ok_cb, ret))
    else:
        ok_cb(ret)


@dbus.service.method(MAIN_IFACE, in_signature='(sa{sv})ss')
def RegisterAuthenticationAgent(_self, _subject, _locale, _object_path):
    pass


@dbus.service.method(MOCK_IFACE, in_signature='sus', out_signature='')
def PhylloAddRule(self, action_id, uid, result):
    '''Subject uid gets result for action_id, before the defaults (a polkit.addRule() for a user).'''
    if result not in RESULTS:
        raise _error('Failed', f'{result} is not a polkit result')
    self.rules.append((str(action_id), int(uid), str(result)))


@dbus.service.method(MOCK_IFACE, in_signature='', out_signature='')
def PhylloClearRules(self):
    '''No rules, nothing kept: the defaults alone again.'''
    self.rules = []
    self.kept = set()


@dbus.service.method(MOCK_IFACE, in_signature='s', out_signature='')
def PhylloSetAgent(self, answer):
    '''What the authentication agent answers when polkit may ask: yes, no, or none (no agent).'''
    if answer not in ('yes', 'no', 'none'):
        raise _error('Failed', f'{answer} is not an agent answer')
    self.agent = str(answer)


@dbus.service.method(MOCK_IFACE, in_signature='b', out_signature='')
def SimulateHang(self, hang):
    '''Makes CheckAuthorization() hold its answers.'''
    self.simulate_hang = bool(hang)


@dbus.service.method(MOCK_IFACE, in_signature='', out_signature='')
def ReleaseHangingCalls(self):
    '''Sends the answers held while hanging.'''
    for (cb, ret) in self.hanging_calls:
        cb(ret)
    self.hanging_calls = []

