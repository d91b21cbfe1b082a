// Assertions that wait for a condition on the page instead of sleeping: each one polls until it
// holds or its deadline passes, then fails with what it last saw.

import assert from 'node:assert/strict';

const TIMEOUT = 15_000;

export async function until(check, describe, timeout = TIMEOUT) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await check();
      if (last.ok) return;
    } catch (e) {
      last = { seen: e.message };
    }
    if (Date.now() > deadline) {
      assert.fail(`${describe}; last saw: ${JSON.stringify(last?.seen)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function expect(subject) {
  return {
    async toBeVisible() {
      await subject.first().waitFor({ state: 'visible', timeout: TIMEOUT });
    },
    async toBeHidden() {
      await until(async () => ({ ok: (await subject.count()) === 0 || !(await subject.first().isVisible()), seen: await subject.count() }), `${subject} should be hidden`);
    },
    async toHaveCount(n) {
      await until(async () => {
        const count = await subject.count();
        return { ok: count === n, seen: count };
      }, `${subject} should have ${n} elements`);
    },
    async toContainText(text) {
      await until(async () => {
        const seen = await subject.first().textContent();
        return { ok: seen?.includes(text), seen };
      }, `${subject} should contain ${JSON.stringify(text)}`);
    },
    async toHaveText(text) {
      await until(async () => {
        const seen = (await subject.first().textContent())?.trim();
        return { ok: seen === text, seen };
      }, `${subject} should read ${JSON.stringify(text)}`);
    },
    async toHaveTexts(texts) {
      await until(async () => {
        const seen = (await subject.allTextContents()).map((t) => t.trim());
        return { ok: JSON.stringify(seen) === JSON.stringify(texts), seen };
      }, `${subject} should read ${JSON.stringify(texts)}, in order`);
    },
    async toHaveValue(value) {
      await until(async () => {
        const seen = await subject.first().inputValue();
        return { ok: seen === value, seen };
      }, `${subject} should hold ${JSON.stringify(value)}`);
    },
    async toBeFocused() {
      await until(async () => {
        const focused = await subject.first().evaluate((e) => e === document.activeElement);
        return { ok: focused, seen: focused };
      }, `${subject} should have the focus`);
    },
    async toBeDisabled() {
      await until(async () => {
        const disabled = await subject.first().isDisabled();
        return { ok: disabled, seen: disabled };
      }, `${subject} should be disabled`);
    },
    async toBeEnabled() {
      await until(async () => {
        const enabled = await subject.first().isEnabled();
        return { ok: enabled, seen: enabled };
      }, `${subject} should be enabled`);
    },
    toEqual(expected) {
      assert.deepStrictEqual(subject, expected);
    },
  };
}
