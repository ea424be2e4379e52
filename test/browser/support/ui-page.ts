import type { Page } from 'playwright-core';

/** The UI's visible state, read the way a person reads it. */
export class UiPage {
  constructor(readonly page: Page) {}

  text(testId: string): Promise<string> {
    return this.page.locator(`[data-testid=${testId}]`).first().innerText();
  }

  async send(from: string, to: string): Promise<void> {
    await this.page.selectOption('select[aria-label=source]', from);
    await this.page.fill('input[aria-label=destination]', to);
    await this.page.click('[data-testid=send]');
    await this.page.waitForSelector('[data-testid=explanation]');
  }

  /** Presses `key` until `done` holds (at most `max` times); fails if it never does. */
  async pressUntil(key: string, done: () => Promise<boolean>, max = 150): Promise<void> {
    for (let i = 0; i < max; i++) {
      if (await done()) return;
      const before = await this.text('step-position');
      await this.page.keyboard.press(key);
      // One press, one step: read again once the page shows it (on a loaded machine it may lag the key).
      await this.page
        .waitForFunction(`document.querySelector('[data-testid=step-position]')?.innerText !== ${JSON.stringify(before)}`, undefined, { timeout: 2000 })
        .catch(() => undefined);
    }
    if (!(await done())) throw new Error(`pressed ${key} ${max} times and the step was never reached`);
  }

  /** The current rule step's action (`DNAT to ...`), or '' on a hop step. */
  async ruleAction(): Promise<string> {
    const action = this.page.locator('[data-testid=rule-action]');
    return (await action.count()) ? action.innerText() : '';
  }

  async stepPosition(): Promise<number> {
    return Number(/Step (\d+) of/.exec(await this.text('step-position'))?.[1]);
  }
}
