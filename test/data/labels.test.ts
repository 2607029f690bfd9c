import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sanitizeKineticsLabel } from '../../src/data/labels.js';
import { runCli } from '../helpers/cli.js';
import { testTempDir } from '../helpers/tmp.js';

/**
 * tsm prepare labels on small annotation files in each dataset's real format; the expected files were worked out by
 * hand from the upstream tools' rules (docs/upstream-tsm-family.md §4).
 */
function lay(root: string, files: Record<string, string>, clips: Record<string, number>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  for (const [dir, n] of Object.entries(clips)) {
    mkdirSync(join(root, dir), { recursive: true });
    for (let i = 1; i <= n; i++) writeFileSync(join(root, dir, `${String(i).padStart(5, '0')}.jpg`), '');
  }
}
const read = (root: string, f: string) => readFileSync(join(root, f), 'utf8');

describe('tsm prepare labels', () => {
  it('jester: categories sorted, id;label lines, missing folders listed, short clips reported', () => {
    const root = testTempDir('tsm-labels-');
    lay(
      root,
      {
        'jester-v1-labels.csv': 'Swiping Right\nDoing other things\nSwiping Left\n',
        'jester-v1-validation.csv': '10;Swiping Left\n11;Doing other things\n',
        'jester-v1-train.csv': '20;Swiping Right\n21;Swiping Left\n',
      },
      { '20bn-jester-v1/10': 3, '20bn-jester-v1/11': 2, '20bn-jester-v1/20': 4 },
    );
    const r = runCli(['prepare', 'labels', 'jester', '--root', root, '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(read(root, 'category.txt')).toBe('Doing other things\nSwiping Left\nSwiping Right');
    expect(read(root, 'val_videofolder.txt')).toBe('10 3 1\n11 2 0');
    expect(read(root, 'train_videofolder.txt')).toBe('20 4 2');
    expect(r.json().lists).toEqual([
      {
        file: 'val_videofolder.txt',
        entries: 2,
        written: 2,
        missing: 0,
        firstMissing: [],
        short: 1,
        firstShort: [{ id: '11', frames: 2 }],
      },
      {
        file: 'train_videofolder.txt',
        entries: 2,
        written: 1,
        missing: 1,
        firstMissing: ['21'],
        short: 0,
        firstShort: [],
      },
    ]);
    // and tsm verify reads what it wrote
    const text = runCli(['prepare', 'labels', 'jester', '--root', root]);
    expect(text.stdout).toMatch(
      /train_videofolder\.txt: 1 of 2 clips; 1 without a frames folder \(skipped\), e\.g\. 21/,
    );
  });

  it('something-something v1: the same rules with its own file names', () => {
    const root = testTempDir('tsm-labels-');
    lay(
      root,
      {
        'something-something-v1-labels.csv': 'Pushing something\nHolding something\n',
        'something-something-v1-validation.csv': '7;Pushing something\n',
        'something-something-v1-train.csv': '8;Holding something\n',
      },
      { '20bn-something-something-v1/7': 4, '20bn-something-something-v1/8': 5 },
    );
    expect(runCli(['prepare', 'labels', 'something', '--root', root]).status).toBe(0);
    expect(read(root, 'category.txt')).toBe('Holding something\nPushing something');
    expect(read(root, 'val_videofolder.txt')).toBe('7 4 1');
    expect(read(root, 'train_videofolder.txt')).toBe('8 5 0');
  });

  it('something-something v2: label-map order (not sorted), [ ] stripped from templates, test entries label 0', () => {
    const root = testTempDir('tsm-labels-');
    lay(
      root,
      {
        'something-something-v2-labels.json': JSON.stringify({
          'Pushing something from left to right': '0',
          'Holding something': '1',
        }),
        'something-something-v2-validation.json': JSON.stringify([
          {
            id: '5',
            template: 'Pushing [something] from left to right',
            label: 'pushing a cup from left to right',
            placeholders: ['a cup'],
          },
        ]),
        'something-something-v2-train.json': JSON.stringify([
          { id: '6', template: 'Holding [something]', label: 'holding a pen', placeholders: ['a pen'] },
        ]),
        'something-something-v2-test.json': JSON.stringify([{ id: '7' }]),
      },
      {
        '20bn-something-something-v2-frames/5': 3,
        '20bn-something-something-v2-frames/6': 4,
        '20bn-something-something-v2-frames/7': 5,
      },
    );
    expect(runCli(['prepare', 'labels', 'somethingv2', '--root', root]).status).toBe(0);
    expect(read(root, 'category.txt')).toBe('Pushing something from left to right\nHolding something');
    expect(read(root, 'val_videofolder.txt')).toBe('5 3 0');
    expect(read(root, 'train_videofolder.txt')).toBe('6 4 1');
    expect(read(root, 'test_videofolder.txt')).toBe('7 5 0');
  });

  it(
    'kinetics: label-map order, names sanitised (quotes, parentheses, spaces), youtube_id_timestart ' +
      'folders, missing ones listed',
    () => {
      expect(sanitizeKineticsLabel(' "passing American football (in game)" ')).toBe(
        'passing_American_football_in_game',
      );
      expect(sanitizeKineticsLabel("dribbling basketball's")).toBe('dribbling_basketballs');
      const root = testTempDir('tsm-labels-');
      lay(
        root,
        {
          'kinetics_label_map.txt':
            'abseiling\n"passing American football (in game)"\nskiing (not slalom or ' +
            'crosscountry)\nskiing crosscountry\n',
          'labels/kinetics_val.csv':
            'label,youtube_id,time_start,time_end,split\n"passing American football (in ' +
            'game)",abc123,10,20,val\nabseiling,xyz,5,15,val\nskiing crosscountry,qqq,0,10,val\n',
        },
        { 'images/passing_American_football_in_game/abc123_10': 5, 'images/abseiling/xyz_5': 3 },
      );
      const r = runCli(['prepare', 'labels', 'kinetics', '--root', root, '--json']);
      expect(r.status, r.stderr).toBe(0);
      expect(read(root, 'category.txt')).toBe(
        'abseiling\npassing_American_football_in_game\nskiing_not_slalom_or_crosscountry\nskiing_crosscountry',
      );
      expect(read(root, 'val_videofolder.txt')).toBe(
        'passing_American_football_in_game/abc123_10 5 1\nabseiling/xyz_5 3 0',
      );
      expect(read(root, 'missing_val_videofolder.txt')).toBe('skiing_crosscountry/qqq_0');
      expect(r.json().lists[0]).toMatchObject({ entries: 3, written: 2, missing: 1 });
    },
  );

  it('refuses to write lists of nothing, and names the annotation files it looked for', () => {
    const root = testTempDir('tsm-labels-');
    lay(root, { 'jester-v1-labels.csv': 'A\nB\n', 'jester-v1-validation.csv': '1;A\n' }, {});
    const none = runCli(['prepare', 'labels', 'jester', '--root', root, '--json']);
    expect(none.status).toBe(3);
    expect(none.json().error.code).toBe('E_NO_CLIPS');
    const empty = testTempDir('tsm-labels-');
    const missing = runCli(['prepare', 'labels', 'kinetics', '--root', empty, '--json']);
    expect(missing.status).toBe(3);
    expect(missing.json().error).toMatchObject({ code: 'E_NOT_FOUND' });
    expect(missing.json().error.hint).toContain('kinetics_label_map.txt');
  });
});
