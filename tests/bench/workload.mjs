// A synthetic board history for the browser benchmarks, like `chronicle_board::workload`: cards
// added, moved, edited and archived, a few hundred live at a time; deterministic.

/** `count` wire envelopes (no `stream`, no `seq`) of one board. */
export function workload(count) {
  let state = 0x2545f491;
  const rand = (n) => {
    state ^= state << 13; state ^= state >>> 17; state ^= state << 5; state >>>= 0;
    return state % n;
  };
  const hex = (n, width) => n.toString(16).padStart(width, '0');
  let counter = 0;
  const id = () => {
    counter += 1;
    return `0190a1b2-${hex(counter >>> 16, 4)}-7${hex(counter & 0xfff, 3)}-8${hex(rand(0xfff), 3)}-${hex(rand(0xffffff), 6)}${hex(counter & 0xffffff, 6)}`;
  };
  const device = id();
  const columns = ['Backlog', 'To do', 'Doing', 'Done'].map((name) => ({ id: id(), name }));
  let at = 1_700_000_000_000;
  const events = [];
  const push = (type, version, data) => {
    at += 1 + rand(60_000);
    events.push({ id: id(), type, version, device, at, data });
  };
  push('board_created', 1, { name: 'Hundred thousand', columns });
  const live = [];
  const sizes = [0, 0, 0, 0];
  while (events.length < count) {
    const roll = rand(100);
    if (live.length < 50 || (roll < 25 && live.length < 400)) {
      const card = id();
      const c = rand(2);
      live.push([card, c]);
      sizes[c] += 1;
      push('card_added', 2, { card, column: columns[c].id, title: `Task number ${events.length}`, description: '' });
    } else if (roll < 65) {
      const i = rand(live.length);
      const [card, from] = live[i];
      const to = (from + 1 + rand(3)) % 4;
      sizes[from] -= 1;
      const index = rand(sizes[to] + 1);
      sizes[to] += 1;
      live[i][1] = to;
      push('card_moved', 1, { card, from: columns[from].id, to: columns[to].id, index });
    } else if (roll < 85) {
      const [card] = live[rand(live.length)];
      push('card_edited', 1, { card, title: `Edited task ${events.length}`, description: 'Checked with the team.' });
    } else {
      const [card, c] = live.splice(rand(live.length), 1)[0];
      sizes[c] -= 1;
      push('card_archived', 1, { card });
    }
  }
  return events;
}
