// The e2e harness's check of the Shell's log (test/shell/shell-log-problems.mjs),
// on lines GNOME Shell 48 (gjs 1.84) wrote: Gjs criticals and JS errors
// count unless their stack is wholly the Shell's own.

import { describe, expect, it } from 'vitest';
import { problemsIn } from '../shell/shell-log-problems.mjs';

const EXTENSION = 'file:///tmp/phyllome-e2e.x/data/gnome-shell/extensions/switcher@phyllo.me';

// As the Shell logged them when a test's Eval scheduled a throwing idle callback and touched a
// destroyed label (test code: evaluated by shellDBus.js).
const EVAL_ERROR = `(gnome-shell:20237): Gjs-CRITICAL **: 01:52:38.595: JS ERROR: Error: probe-error
@resource:///org/gnome/shell/ui/shellDBus.js line 78 > eval:1:43
@resource:///org/gnome/shell/ui/init.js:21:20
`;
const EVAL_DISPOSED = `(gnome-shell:20237): Gjs-CRITICAL **: 01:52:38.685: Object St.Label (0x556af2fb1870), has been already disposed — impossible to set any property on it. This might be caused by the object having been destroyed from C code using something such as destroy(), dispose(), or remove() vfuncs.
== Stack trace for context 0x556aedc83e10 ==
#0   556aedd7d7a8 i   resource:///org/gnome/shell/ui/shellDBus.js line 78 > eval:1 (78faf7a4d80 @ 15)
#1   556aedd7d718 i   resource:///org/gnome/shell/ui/init.js:21 (23c33cb70c90 @ 48)
`;

describe("the Shell log's problems", () => {
  it("count a critical whose stack passes through an extension's file", () => {
    const log = `GNOME Shell-Message: 01:40:09.549: GNOME Shell started
(gnome-shell:1): Gjs-CRITICAL **: 01:41:00.000: Object St.Label (0x1), has been already disposed — impossible to access it.
== Stack trace for context 0x2 ==
#0   5 i   resource:///org/gnome/shell/ui/popupMenu.js:212 (3 @ 25)
#1   6 i   ${EXTENSION}/ui/indicator.js:310 (4 @ 12)
#2   7 i   resource:///org/gnome/shell/ui/init.js:21 (8 @ 48)

libmutter-Message: 01:41:01.000: something else`;
    const problems = problemsIn(log);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toHaveLength(5); // the critical and its stack, nothing after
    expect(problems[0]?.[3]).toContain('indicator.js:310');
  });

  it('count a JS error of an extension, and one with no place at all', () => {
    const log = `(gnome-shell:1): Gjs-CRITICAL **: 01:41:00.000: JS ERROR: TypeError: this._row is null
_update@${EXTENSION}/ui/guest-item.js:88:5
@resource:///org/gnome/shell/ui/init.js:21:20

(gnome-shell:1): Gjs-WARNING **: 01:41:02.000: JS ERROR: Unhandled promise rejection. To suppress this warning, add an error handler.
`;
    expect(problemsIn(log).map((p) => p.length)).toEqual([3, 1]);
  });

  it("count code a test evaluated through the Shell's Eval: it is not the Shell's", () => {
    expect(problemsIn(EVAL_ERROR + '\n' + EVAL_DISPOSED).map((p) => p.length)).toEqual([3, 4]);
  });

  it("leave out what is wholly the Shell's own, and what is no Gjs critical nor JS error", () => {
    const log = `(gnome-shell:1): Gjs-CRITICAL **: 01:41:00.000: JS ERROR: Error: the Shell's own
_onDestroy@resource:///org/gnome/shell/ui/messageTray.js:512:9
@resource:///org/gnome/gjs/modules/core/overrides/GObject.js:1:1
(gnome-shell:1): libmutter-WARNING **: 01:40:07.581: There is no colord server available
(gnome-shell:1): Clutter-CRITICAL **: 01:52:38.685: clutter_text_get_text: assertion 'CLUTTER_IS_TEXT (self)' failed
GNOME Shell-Message: 01:47:48.757: Phyllome Switcher: the service (:1.20) left as we reached it`;
    expect(problemsIn(log)).toEqual([]);
  });
});
