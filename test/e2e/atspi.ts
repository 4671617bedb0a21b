// What the preferences window (GTK 4, libadwaita) shows, read through
// accessibility (AT-SPI) as GNOME's own UI tests read it: which page is
// shown, which widget has the keyboard focus, whether a combo row's list is
// open, what a row shows as selected. A test that drives the window with the
// keyboard waits on these with a deadline rather than sleeping between keys.
//
// The reading is done by test/e2e/atspi-query.js, a gjs program inside the
// Shell's root (test/shell/in-root.sh), so that the Shell itself makes no
// call on the accessibility bus; the session bus starts that bus
// (at-spi2-core in the root, test/shell/build-rootfs.sh). Nothing announces a
// widget's state to the test, so a wait asks again every `pollMs`.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT } from '../support/root.js';
import { waitFor } from '../support/wait.js';

export interface A11yNode {
  role: string;
  name: string;
  /** Of focused, selected, checked, pressed, expanded, active: those it has. */
  states?: string[];
  /** Only those on screen. */
  children?: A11yNode[];
}

export interface A11yFocus extends A11yNode {
  /** For one that names nothing itself (a list item): the texts of its labels. */
  text?: string;
  /** Its ancestors that say something (a role other than a container's, or a name), nearest first. */
  ancestors: { role: string; name: string }[];
}

export interface A11yView {
  /** The window's tree, null while there is no such window. */
  tree: A11yNode | null;
  /** The widget with the keyboard focus (of any window), null if none has it. */
  focus: A11yFocus | null;
}

interface Answer extends Partial<A11yView> {
  id?: number;
  error?: string;
}

const QUERY = join(ROOT, 'test/e2e/atspi-query.js');
const IN_ROOT = join(ROOT, 'test/shell/in-root.sh');
/** Roles that only hold others: left out of a focus's ancestors and of a rendered tree. */
const CONTAINERS = new Set(['panel', 'grouping', 'filler', 'invalid', 'scroll pane', 'section']);

export const has = (node: A11yNode | null | undefined, state: string): boolean => !!node?.states?.includes(state);

/** Every node of the tree, depth first. */
export function nodes(tree: A11yNode | null): A11yNode[] {
  if (!tree) return [];
  return [tree, ...(tree.children ?? []).flatMap(nodes)];
}

/** The pages the window offers: its view switcher's tabs. */
export function pages(tree: A11yNode | null): string[] {
  return nodes(tree)
    .filter((n) => n.role === 'page tab')
    .map((n) => n.name);
}

/** The page the window shows: its view switcher's selected tab. */
export function shownPage(tree: A11yNode | null): string | undefined {
  return nodes(tree).find((n) => n.role === 'page tab' && has(n, 'selected'))?.name;
}

/** The texts of the labels in `node`, depth first. */
export function labels(node: A11yNode | undefined): string[] {
  return nodes(node ?? null)
    .filter((n) => n.role === 'label')
    .map((n) => n.name);
}

/** The nodes of role `role` below `node` that are not inside another such. */
function outermost(node: A11yNode, role: string): A11yNode[] {
  return (node.children ?? []).flatMap((child) => (child.role === role ? [child] : outermost(child, role)));
}

export interface ComboRowView {
  /** The choice the row shows as selected. */
  shows: string | undefined;
  /** Whether its list of choices is open. */
  open: boolean;
  /** In its open list, the choice the keyboard is on. */
  highlighted: string | undefined;
}

/**
 * A combo row (libadwaita's AdwComboRow) titled `title`: a combo box whose
 * first list holds the selected choice, and while its popover is open, a
 * second list with every choice, the one the keyboard is on selected.
 */
export function comboRow(tree: A11yNode | null, title: string): ComboRowView | undefined {
  const row = nodes(tree).find((n) => n.role === 'combo box' && n.name === title);
  if (!row) return undefined;
  const [shown, choices] = outermost(row, 'list');
  const highlighted = nodes(choices ?? null).find((n) => n.role === 'list item' && has(n, 'selected'));
  return {
    shows: labels(shown).join(' ') || undefined,
    open: choices !== undefined,
    highlighted: highlighted && labels(highlighted).join(' '),
  };
}

/** The texts of the alerts the window shows (libadwaita's toasts). */
export function alerts(tree: A11yNode | null): string[] {
  return nodes(tree)
    .filter((n) => n.role === 'alert')
    .map((n) => labels(n).join(' '));
}

/** The tree as indented lines of the nodes that say something, for a failure's message. */
export function render(tree: A11yNode | null, max = 6_000): string {
  if (!tree) return '(no window)';
  const lines: string[] = [];
  const walk = (node: A11yNode, depth: number): void => {
    const says = !CONTAINERS.has(node.role) || node.name !== '' || (node.states?.length ?? 0) > 0;
    if (says)
      lines.push(
        `${'  '.repeat(depth)}${node.role} ${JSON.stringify(node.name)}${node.states ? ` [${node.states.join(',')}]` : ''}`,
      );
    for (const child of node.children ?? []) walk(child, says ? depth + 1 : depth);
  };
  walk(tree, 0);
  const text = lines.join('\n');
  return text.length > max ? `${text.slice(0, max)}\n…` : text;
}

const describeFocus = (focus: A11yFocus | null): string =>
  focus
    ? `${focus.role} ${JSON.stringify(focus.name || focus.text)} in ${focus.ancestors.map((a) => `${a.role} ${JSON.stringify(a.name)}`).join(' < ')}`
    : 'nothing';

/** The AT-SPI reader inside the Shell's root; one per test file, stopped by its PID. */
export class Accessibility {
  private readonly pending = new Map<number, { resolve: (a: Answer) => void; reject: (e: Error) => void }>();
  private readonly stderr: string[] = [];
  private nextId = 1;
  private exited = false;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      let answer: Answer;
      try {
        answer = JSON.parse(line) as Answer;
      } catch {
        this.stderr.push(line);
        return;
      }
      if (answer.id === undefined) return;
      const waiting = this.pending.get(answer.id);
      this.pending.delete(answer.id);
      if (answer.error !== undefined) waiting?.reject(new Error(`AT-SPI: ${answer.error}`));
      else waiting?.resolve(answer);
    });
    createInterface({ input: child.stderr }).on('line', (line) => {
      this.stderr.push(line);
      if (this.stderr.length > 50) this.stderr.shift();
    });
    // Writing to a reader that ended fails on its own: the exit below says why.
    child.stdin.on('error', () => undefined);
    child.on('exit', (code, signal) => {
      this.exited = true;
      const error = new Error(`the AT-SPI reader ended (${signal ?? code}): ${this.stderr.join('\n')}`);
      for (const { reject } of this.pending.values()) reject(error);
      this.pending.clear();
    });
  }

  /** Starts the reader inside the Shell's root (only inside run-shell.sh's CMD). */
  static start(): Accessibility {
    if (!process.env.SHELL_TEST_NS_PID) throw new Error('run through test/shell/run-e2e.sh');
    const child = spawn(IN_ROOT, ['gjs', '-c', readFileSync(QUERY, 'utf8')], { stdio: ['pipe', 'pipe', 'pipe'] });
    return new Accessibility(child);
  }

  /**
   * What the window titled `title` shows now, and where the focus is; with
   * `tree` false, where the focus is alone (cheaper: no walk of the window).
   */
  view(
    title: string,
    { tree = true, timeoutMs = 10_000 }: { tree?: boolean; timeoutMs?: number } = {},
  ): Promise<A11yView> {
    if (this.exited) return Promise.reject(new Error(`the AT-SPI reader ended: ${this.stderr.join('\n')}`));
    const id = this.nextId++;
    return new Promise<A11yView>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`the AT-SPI reader did not answer in ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (answer) => {
          clearTimeout(timer);
          resolve({ tree: answer.tree ?? null, focus: answer.focus ?? null });
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.child.stdin.write(`${JSON.stringify({ id, title, tree })}\n`);
    });
  }

  /**
   * Asks again every `pollMs` until `pick` finds what is meant in the window
   * titled `title`, and returns it; fails after `timeoutMs` with what the
   * window last showed and where the focus was.
   */
  async waitFor<T>(
    title: string,
    what: string,
    pick: (view: A11yView) => T | undefined | null | false,
    { timeoutMs = 10_000, pollMs = 100, tree = true }: { timeoutMs?: number; pollMs?: number; tree?: boolean } = {},
  ): Promise<NonNullable<T>> {
    let last: A11yView = { tree: null, focus: null };
    try {
      return (await waitFor(
        async () => {
          last = await this.view(title, { tree });
          return pick(last) || undefined;
        },
        { what: `${what} in “${title}”`, timeoutMs, pollMs },
      )) as NonNullable<T>;
    } catch (error) {
      // What the window shows, for the message, also where only the focus was asked.
      if (!tree) last = await this.view(title).catch(() => last);
      throw new Error(
        `${(error as Error).message}; the focus is on ${describeFocus(last.focus)}; the window shows:\n${render(last.tree)}`,
      );
    }
  }

  /** Waits until the window shows the page titled `page`. */
  waitForPage(title: string, page: string, timeoutMs?: number): Promise<string> {
    return this.waitFor(title, `the page ${page}`, (v) => (shownPage(v.tree) === page ? page : undefined), {
      timeoutMs,
    });
  }

  /**
   * Waits until the focus is on a widget of role `role` whose name (or for
   * one that names nothing itself, the text of its labels) matches `name` (a
   * string: the whole of it), in the window titled `title`.
   */
  waitForFocus(title: string, role: string, name: string | RegExp, timeoutMs?: number): Promise<A11yFocus> {
    const matches = (n: string): boolean => (typeof name === 'string' ? n === name : name.test(n));
    return this.waitFor(
      title,
      `the focus on ${role} ${String(name)}`,
      ({ focus }) =>
        focus &&
        focus.role === role &&
        matches(focus.name || (focus.text ?? '')) &&
        focus.ancestors.some((a) => a.role === 'frame' && a.name === title)
          ? focus
          : undefined,
      { timeoutMs, tree: false },
    );
  }

  /** Waits until the combo row titled `row` is as `check` wants it. */
  waitForComboRow(
    title: string,
    row: string,
    what: string,
    check: (view: ComboRowView) => boolean,
    timeoutMs?: number,
  ): Promise<ComboRowView> {
    return this.waitFor(
      title,
      `the row ${row} ${what}`,
      ({ tree }) => {
        const view = comboRow(tree, row);
        return view && check(view) ? view : undefined;
      },
      { timeoutMs },
    );
  }

  /** Stops the reader: its stdin closed, then by its PID if it lingers. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.pid && process.kill(this.child.pid, 'SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}
