// The board fold of `chronicle_board::Board` written in plain JavaScript, as a JavaScript app
// would write it: the benchmark's peer for the wasm replay. It is a faithful port: columns in
// order, cards kept in an arena and moved as slots, the same rules for which events have no
// effect (a second `board_created`, a card or column that is not there, removing a column that
// still holds cards, restoring a live card, a device naming another), a restored card landing in
// the first column when its own is gone, and the device that last changed each card. It folds
// wire events (`{ id, type, version, device, at, data }`) already parsed from JSON, as the wasm
// replay folds events already decoded. `tests/peers.rs` checks that both give the same board.

export class JsBoard {
  constructor() {
    this.created = false;
    this.name = '';
    /** `{ id, name, cards: slot[] }`, in order. */
    this.columns = [];
    /** Column id to its index in `columns`. */
    this.columnAt = new Map();
    /** Every card ever added; a card's slot is its index here. */
    this.cards = [];
    /** Card id to slot, every card; and live cards only. */
    this.slots = new Map();
    this.live = new Map();
    this.archivings = 0;
    this.archivedCount = 0;
    this.devices = new Map();
  }

  pushColumn(id, name) {
    this.columnAt.set(id, this.columns.length);
    this.columns.push({ id, name, cards: [] });
  }

  reindexColumns(from, to) {
    for (let i = from; i < to && i < this.columns.length; i += 1) this.columnAt.set(this.columns[i].id, i);
  }

  /** Applies one wire event; true when it changed the board. */
  apply(event) {
    const data = event.data;
    if (event.type === 'device_named' && data.device !== event.device) return false;
    const changed = this.evolve(event.type, data);
    if (typeof changed === 'number') this.cards[changed].lastDevice = event.device;
    return changed !== false;
  }

  /**
   * Applies one event's data: false when it changed nothing, the slot of the card it changed for
   * a card's event, true for any other change.
   */
  evolve(type, data) {
    switch (type) {
      case 'board_created': {
        if (this.created) return false;
        this.created = true;
        this.name = data.name;
        for (const seed of data.columns) if (!this.columnAt.has(seed.id)) this.pushColumn(seed.id, seed.name);
        return true;
      }
      case 'board_renamed':
        this.name = data.name;
        return true;
      case 'column_added':
        if (this.columnAt.has(data.column)) return false;
        this.pushColumn(data.column, data.name);
        return true;
      case 'column_renamed': {
        const i = this.columnAt.get(data.column);
        if (i === undefined) return false;
        this.columns[i].name = data.name;
        return true;
      }
      case 'column_moved': {
        const from = this.columnAt.get(data.column);
        if (from === undefined) return false;
        const [moved] = this.columns.splice(from, 1);
        const to = Math.min(data.index, this.columns.length);
        this.columns.splice(to, 0, moved);
        this.reindexColumns(Math.min(from, to), Math.max(from, to) + 1);
        return true;
      }
      case 'column_removed': {
        const i = this.columnAt.get(data.column);
        if (i === undefined || this.columns[i].cards.length > 0) return false;
        this.columns.splice(i, 1);
        this.columnAt.delete(data.column);
        this.reindexColumns(i, this.columns.length);
        return true;
      }
      case 'card_added': {
        const target = this.columnAt.get(data.column);
        if (target === undefined || this.slots.has(data.card)) return false;
        const slot = this.cards.length;
        this.cards.push({
          id: data.card, title: data.title, description: data.description ?? '', column: data.column,
          archived: false, archivedOrder: 0, lastDevice: null,
        });
        this.slots.set(data.card, slot);
        this.live.set(data.card, slot);
        this.columns[target].cards.push(slot);
        return slot;
      }
      case 'card_edited': {
        const slot = this.slots.get(data.card);
        if (slot === undefined) return false;
        this.cards[slot].title = data.title;
        this.cards[slot].description = data.description;
        return slot;
      }
      case 'card_moved':
        return this.moveCard(data.card, data.to, data.index);
      case 'card_archived': {
        const slot = this.live.get(data.card);
        if (slot === undefined) return false;
        const column = this.columnAt.get(this.cards[slot].column);
        const cards = column === undefined ? undefined : this.columns[column].cards;
        const index = cards ? cards.indexOf(slot) : -1;
        if (index < 0) return false;
        cards.splice(index, 1);
        this.live.delete(data.card);
        this.archivings += 1;
        this.archivedCount += 1;
        this.cards[slot].archived = true;
        this.cards[slot].archivedOrder = this.archivings;
        return slot;
      }
      case 'card_restored':
        return this.restoreCard(data.card, data.column);
      case 'device_named':
        this.devices.set(data.device, data.name);
        return true;
      default:
        return false;
    }
  }

  moveCard(card, to, index) {
    const target = this.columnAt.get(to);
    if (target === undefined) return false;
    const slot = this.live.get(card);
    if (slot === undefined) return false;
    const source = this.columnAt.get(this.cards[slot].column);
    if (source === undefined) return false;
    const from = this.columns[source].cards.indexOf(slot);
    if (from < 0) return false;
    this.cards[slot].column = to;
    const cards = this.columns[source].cards;
    if (source === target) {
      cards.splice(from, 1);
      cards.splice(Math.min(index, cards.length), 0, slot);
    } else {
      cards.splice(from, 1);
      const into = this.columns[target].cards;
      into.splice(Math.min(index, into.length), 0, slot);
    }
    return slot;
  }

  restoreCard(card, column) {
    const slot = this.slots.get(card);
    if (slot === undefined || !this.cards[slot].archived) return false;
    let target = this.columnAt.get(column);
    if (target === undefined) {
      if (this.columns.length === 0) return false;
      target = 0;
    }
    this.columns[target].cards.push(slot);
    this.live.set(card, slot);
    this.archivedCount -= 1;
    this.cards[slot].archived = false;
    this.cards[slot].column = this.columns[target].id;
    return slot;
  }

  /** The board as plain data, in the shape `tests/peers.rs` builds from `chronicle_board::Board`. */
  summary() {
    const card = (slot) => {
      const c = this.cards[slot];
      return { id: c.id, title: c.title, description: c.description, column: c.column, last_device: c.lastDevice };
    };
    const archived = this.cards.filter((c) => c.archived).sort((a, b) => b.archivedOrder - a.archivedOrder).map((c) => c.id);
    return {
      name: this.name,
      columns: this.columns.map((c) => ({ id: c.id, name: c.name, cards: c.cards.map(card) })),
      archived,
      archived_count: this.archivedCount,
      live_cards: this.live.size,
    };
  }
}

/** Parses a JSON array of wire events. */
export function parseEvents(json) {
  return JSON.parse(json);
}

/** Folds `events` into a new board. */
export function foldBoard(events) {
  const board = new JsBoard();
  for (const event of events) board.apply(event);
  return board;
}

/** The summary of the board `events` fold into, as JSON text. */
export function foldSummary(json) {
  return JSON.stringify(foldBoard(parseEvents(json)).summary());
}

/** The best time of `runs` folds of `events` (parsed beforehand), in milliseconds. */
export function bestFoldMs(events, runs) {
  let best = Infinity;
  for (let i = 0; i < runs; i += 1) {
    const start = performance.now();
    const board = foldBoard(events);
    const ms = performance.now() - start;
    if (board.cards.length === 0) throw new Error('the fold found no cards');
    best = Math.min(best, ms);
  }
  return best;
}
